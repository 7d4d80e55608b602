// Runs SIPp (Debian's sip-tester) as the far end of a SIP test: one call of one scenario on
// 127.0.0.1, every message traced to a file so a failing test can show the dialogue.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freeUdpPort } from '@faxgate/testkit';
import { start, type Proc } from '../../t38/test/fax-peers.ts';
import { SipEndpoint, type SipEndpointOptions, type UaEvent } from '../src/index.ts';

export const SCENARIOS = resolve(import.meta.dirname, 'scenarios');

export interface Sipp {
  proc: Proc;
  port: number;
  /** SIPp's message trace and error log, for failure reports. */
  logs: () => string;
  /** Resolves with SIPp's exit status (0: the scenario ran to its end), bounded by `ms`. */
  done: (ms?: number) => Promise<number>;
}

export { freeUdpPort };

/**
 * Starts SIPp with `scenario` (a file in scenarios/) for one call. `remote` makes it a UAC
 * calling that address; without it SIPp waits as a UAS. `keys` fill `[name]` in the scenario.
 */
export async function sipp(dir: string, scenario: string, o: { remote?: string; keys?: Record<string, string | number>; transport?: 'u1' | 't1'; timeoutS?: number; service?: string; /** `<pause/>` without a length lasts this long (-d). */ pauseMs?: number; /** Calls to run before exiting (-m), default 1. */ calls?: number; /** Lines of a SEQUENTIAL injection file (-inf), one per call: its `;`-separated values are `[field0]`, `[field1]`… */ inject?: string[]; /** Starts already retried after a port SIPp could not bind. */ bindTries?: number } = {}): Promise<Sipp> {
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const msgFile = join(dir, `${scenario}.messages.log`);
  const errFile = join(dir, `${scenario}.errors.log`);
  const args = [
    '-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', String(o.calls ?? 1), '-nostdin', '-bind_local',
    '-t', o.transport ?? 'u1', '-trace_msg', '-message_file', msgFile, '-trace_err', '-error_file', errFile,
    '-timeout', `${o.timeoutS ?? 50}s`, '-timeout_error', '-max_retrans', '8', '-nr',
  ];
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, String(v));
  if (o.inject) {
    const inf = join(dir, `${scenario}.inject.csv`);
    writeFileSync(inf, `SEQUENTIAL\n${o.inject.map((l) => `${l};\n`).join('')}`);
    args.push('-inf', inf);
  }
  if (o.service) args.push('-s', o.service);
  if (o.pauseMs !== undefined) args.push('-d', String(o.pauseMs));
  if (o.remote) args.push(o.remote);
  const proc = start('sipp', args);
  const logs = () => {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '(none)');
    return `--- sipp ${scenario} messages ---\n${read(msgFile)}\n--- sipp errors ---\n${read(errFile)}\n--- sipp output ---\n${proc.stdout().slice(-3000)}${proc.stderr().slice(-3000)}`;
  };
  const done = async (ms = 30_000) => {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => { t = setTimeout(() => r('late'), ms); });
    const r = await Promise.race([proc.exit, late]);
    clearTimeout(t);
    if (r === 'late') {
      proc.kill();
      throw new Error(`sipp ${scenario} still ran after ${ms} ms\n${logs()}`);
    }
    return r;
  };
  // A UAS must be listening before we call it: wait until its port is taken.
  if (!o.remote) {
    try {
      await waitBound(port, proc, logs, o.transport === 't1' ? 'tcp' : 'udp');
    } catch (err) {
      // SIPp also binds the media port + 2 (video), which no test claimed: another test's peer
      // may hold it. New ports, a few times.
      if ((o.bindTries ?? 0) < 3 && /Unable to bind/.test(`${proc.stdout()}${proc.stderr()}`)) return sipp(dir, scenario, { ...o, bindTries: (o.bindTries ?? 0) + 1 });
      throw err;
    }
  }
  return { proc, port, logs, done };
}

/** Waits (bounded, 10 s) until SIPp has bound its port, so a call to it is not refused. */
export async function waitBound(port: number, proc: Proc, logs: () => string, kind: 'udp' | 'tcp'): Promise<void> {
  const { createSocket } = await import('node:dgram');
  const { createServer } = await import('node:net');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`sipp exited before listening\n${logs()}`);
    const busy = await new Promise<boolean>((res) => {
      if (kind === 'tcp') {
        const s = createServer();
        s.once('error', () => res(true));
        s.listen(port, '127.0.0.1', () => s.close(() => res(false)));
        return;
      }
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); res(true); });
      s.bind(port, '127.0.0.1', () => s.close(() => res(false)));
    });
    if (busy) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sipp did not bind 127.0.0.1:${port} within 10 s\n${logs()}`);
}

/** A faxgate SIP endpoint on a free port with every event recorded and awaitable. */
export async function endpoint(o: Partial<SipEndpointOptions> = {}) {
  const trace: string[] = [];
  const ep = new SipEndpoint({
    bindHost: '127.0.0.1', bindPort: 0, user: 'fax', domain: '127.0.0.1',
    trace: (dir, peer, m) => trace.push(`${dir} ${peer.host}:${peer.port} ${typeof m === 'string' ? m : m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`}`),
    ...o,
  });
  await ep.start();
  const events: UaEvent[] = [];
  const waiters: Array<{ f: (e: UaEvent) => boolean; res: (e: UaEvent) => void }> = [];
  ep.on('event', (e) => {
    events.push(e);
    for (const w of [...waiters]) if (w.f(e)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.res(e);
    }
  });
  /** Waits for the first event (past or future) that `f` accepts; on expiry fails with both sides' logs. */
  const waitEvent = <T extends UaEvent['type']>(type: T, extra: (e: Extract<UaEvent, { type: T }>) => boolean = () => true, ms = 20_000, peer?: Sipp): Promise<Extract<UaEvent, { type: T }>> => {
    const f = (e: UaEvent) => e.type === type && extra(e as Extract<UaEvent, { type: T }>);
    const seen = events.find(f);
    if (seen) return Promise.resolve(seen as Extract<UaEvent, { type: T }>);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for the '${type}' event; events: ${JSON.stringify(events)}\n--- faxgate trace ---\n${trace.join('\n')}\n${peer?.logs() ?? ''}`)), ms);
      waiters.push({ f, res: (e) => { clearTimeout(t); res(e as Extract<UaEvent, { type: T }>); } });
    });
  };
  return { ep, events, trace, waitEvent };
}

/** One message of SIPp's trace (-trace_msg): when SIPp sent or read it, and the message itself. */
export interface SippTraced {
  /** ms since midnight of SIPp's clock (only differences count: no date, no zone). */
  at: number;
  dir: 'sent' | 'received';
  /** The start line, e.g. `INVITE sip:… SIP/2.0` or `SIP/2.0 200 OK`. */
  line: string;
  /** The CSeq header's value, e.g. `1 INVITE`. */
  cseq: string;
  /** The whole message. */
  text: string;
}

/**
 * SIPp's message trace (the messages part of Sipp.logs()) as messages in order. A block starts
 * with a dashed line and a timestamp; SIPp writes that line right behind a 'voluntary lost' note,
 * so it is not always at the start of a line.
 */
export function sippTrace(logs: string): SippTraced[] {
  return [...logs.matchAll(/-{20,} \d{4}-\d\d-\d\d (\d\d):(\d\d):(\d\d\.\d+)\r?\n\w+ message (sent|received)[^\n]*\n\r?\n([\s\S]*?)(?=-{20,}|\n--- sipp |$)/g)]
    .map((m) => ({
      at: ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000,
      dir: m[4] as 'sent' | 'received',
      line: m[5].slice(0, m[5].search(/\r?\n|$/)),
      cseq: /^CSeq: *([^\r\n]*)/m.exec(m[5])?.[1] ?? '',
      text: m[5],
    }));
}

