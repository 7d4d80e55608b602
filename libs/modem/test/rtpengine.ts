// rtpengine (Debian's rtpengine-daemon, userspace forwarding: no kernel table) started by a test
// as an independent T.38 ⇄ G.711 gateway, driven by its "ng" control protocol: bencoded
// dictionaries over UDP, each request prefixed with a cookie the reply repeats.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { freeUdpPort } from '@faxgate/testkit';

type Ben = string | number | Ben[] | { [k: string]: Ben };

export function bencode(v: Ben): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string') {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  // Keys sorted as raw strings (BEP 3).
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k])]), Buffer.from('e')]);
}

export function bdecode(buf: Buffer): Ben {
  let i = 0;
  const next = (): Ben => {
    const c = String.fromCharCode(buf[i]);
    if (c === 'i') {
      const end = buf.indexOf(0x65, i);
      const n = Number(buf.subarray(i + 1, end).toString());
      i = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      i++;
      const items: Ben[] = [];
      while (buf[i] !== 0x65) items.push(next());
      i++;
      if (c === 'l') return items;
      const o: Record<string, Ben> = {};
      for (let k = 0; k < items.length; k += 2) o[items[k] as string] = items[k + 1];
      return o;
    }
    const colon = buf.indexOf(0x3a, i);
    const len = Number(buf.subarray(i, colon).toString());
    const s = buf.subarray(colon + 1, colon + 1 + len).toString();
    i = colon + 1 + len;
    return s;
  };
  return next();
}

export interface Rtpengine {
  proc: ChildProcess;
  log: () => string;
  /** One ng command; resolves with the reply dictionary (bounded: 5 s). */
  ng: (cmd: Record<string, Ben>) => Promise<Record<string, Ben>>;
  stop: () => Promise<void>;
}

/** Starts rtpengine on 127.0.0.1 with media ports in [min, min+999]; resolves once it answers ping. */
export async function startRtpengine(mediaMin = 41_000 + Math.floor(Math.random() * 20) * 1000): Promise<Rtpengine> {
  const ngPort = await freeUdpPort();
  // Userspace only (--table=-1): the kernel module is not there, and forwarding in the daemon
  // is what the T.38 gateway needs anyway. Its media range lies in the ephemeral range; a port
  // that is taken is skipped by rtpengine itself.
  const proc = spawn('rtpengine', ['--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`,
    `--port-min=${mediaMin}`, `--port-max=${mediaMin + 999}`, '--log-level=6', '--delete-delay=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log += d));
  const sock = createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  let seq = 0;
  const ng = async (cmd: Record<string, Ben>): Promise<Record<string, Ben>> => {
    const cookie = `c${process.pid}_${++seq}`;
    const reply = new Promise<Record<string, Ben>>((resolve, reject) => {
      const t = setTimeout(() => {
        sock.off('message', on);
        reject(new Error(`rtpengine did not answer ${String(cmd.command)} in 5 s\n${log.slice(-3000)}`));
      }, 5000);
      const on = (m: Buffer) => {
        const sp = m.indexOf(0x20);
        if (m.subarray(0, sp).toString() !== cookie) return;
        clearTimeout(t);
        sock.off('message', on);
        resolve(bdecode(m.subarray(sp + 1)) as Record<string, Ben>);
      };
      sock.on('message', on);
    });
    sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(cmd)]), ngPort, '127.0.0.1');
    return reply;
  };
  // Ready once it answers ping (it binds the ng port after start-up), bounded by 10 s.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rtpengine exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await Promise.race([ng({ command: 'ping' }), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no pong')), 500))]);
      if (r.result === 'pong') break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`rtpengine did not answer ping within 10 s: ${(err as Error).message}\n${log}`);
    }
  }
  return {
    proc, ng, log: () => log,
    stop: async () => {
      sock.close();
      if (proc.exitCode === null) {
        proc.kill();
        await once(proc, 'close');
      }
    },
  };
}
