// Whole fax calls over G.711 RTP on 127.0.0.1 in real time: faxgate's audio terminal on an
// RtpAudioLine (paced sender, jitter buffer) against spandsp's fax_state speaking RTP
// (test/peers/spandsp-audio-fax-peer --rtp, which answers each 20 ms of our audio with 20 ms
// of its own, so our paced sender keeps the time of both). Received pages must equal the sent
// ones, as libtiff decodes them. The calls run at once: each takes ~20 s of wall time.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createT30Engine, type SessionParams, type T30Config } from '@faxgate/t30';
import { decodeReceivedPage, receivedTiff, tiffDocument } from '@faxgate/t38';
import { decodeTiffWithLibtiff, differingPixels, tempDir, type TempDir } from '@faxgate/testkit';
import { AudioFaxTerminal } from '../src/audio-fax-terminal.ts';
import type { G711Law } from '../src/g711.ts';
import { RtpAudioLine } from '../src/rtp-audio-line.ts';

const repo = resolve(import.meta.dirname, '../../..');
let peer: string;
let dir: TempDir;
let doc: string;

before(async () => {
  peer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
  dir = await tempDir('modem-audio-rtp');
  const ps = join(dir.path, 'page.ps');
  const lines = ['%!PS', '/Helvetica findfont 22 scalefont setfont'];
  for (let i = 0; i < 5; i++) lines.push(`72 ${740 - i * 40} moveto (faxgate over RTP, line ${i + 1}) show`);
  lines.push('100 120 moveto 500 380 lineto 6 setlinewidth stroke showpage');
  await writeFile(ps, lines.join('\n') + '\n');
  doc = join(dir.path, 'page.tif');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x98', '-sPAPERSIZE=a4', `-sOutputFile=${doc}`, ps]);
});
after(() => dir.remove());

/**
 * The network between spandsp and us: every `every`-th datagram spandsp sent arrives 30 ms
 * late, behind the one after it. A wrapper of the socket's 'message' event, test-only.
 */
function reorderingSocket(socket: Socket, every: number): Socket {
  const wrapped = new Map<Function, (...a: unknown[]) => void>();
  let n = 0;
  return new Proxy(socket, {
    get(target, prop, receiver) {
      if (prop === 'on') {
        return (event: string, fn: (...a: unknown[]) => void) => {
          if (event !== 'message') return target.on(event, fn);
          const w = (...a: unknown[]) => (++n % every === 0 ? setTimeout(() => fn(...a), 30) : fn(...a));
          wrapped.set(fn, w);
          return target.on('message', w);
        };
      }
      if (prop === 'off') {
        return (event: string, fn: (...a: unknown[]) => void) => target.off(event, (event === 'message' && wrapped.get(fn)) || fn);
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function rtpCall(terminal: AudioFaxTerminal, law: G711Law, peerArgs: string[], log: string[], reorderEvery = 0) {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const child = spawn(peer, [...peerArgs, '--rtp', String(socket.address().port), '--law', law, '--timeout', '90'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let peerLog = '';
  child.stderr.on('data', (d) => (peerLog += d));
  const exited = once(child, 'close');
  try {
    const port = await new Promise<number>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no LISTENING from the peer in 10 s: ${peerLog}`)), 10_000);
      const check = () => {
        const m = /LISTENING (\d+)/.exec(peerLog);
        if (m) {
          clearTimeout(t);
          child.stderr.off('data', check);
          res(Number(m[1]));
        }
      };
      child.stderr.on('data', check);
      check();
    });
    // 500 ms of jitter buffer: the machine running the tests is shared, and a process that
    // misses its timers for a few hundred ms must delay the call, not tear holes in the page.
    // 2 s of line after our end, so spandsp (half a second behind us) reaches its phase E.
    const line = new RtpAudioLine({ socket: reorderEvery ? reorderingSocket(socket, reorderEvery) : socket, peer: { host: '127.0.0.1', port }, law, endpoint: terminal, delayFrames: 25, hangupFrames: 100 });
    line.start();
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`call not over after 100 s\nfaxgate:\n${log.slice(-40).join('\n')}\nspandsp:\n${peerLog.slice(-2000)}`)), 100_000);
    });
    try {
      await Promise.race([line.done, bounded]);
      const [code] = (await Promise.race([exited, bounded])) as [number | null];
      return { code, peerLog, stats: line.stats };
    } finally {
      clearTimeout(timer);
      line.stop();
    }
  } finally {
    child.kill();
    socket.close();
  }
}

function config(role: 'send' | 'receive', extra: Partial<T30Config>): T30Config {
  return { role, localId: '+1 555 0100', ecm: false, modems: ['v27ter', 'v29'], encodings: ['mh', 'mr'], resolutions: ['standard', 'fine'], ...extra };
}

async function samePages(expected: string, actual: string | Uint8Array, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(expected, dir.path, `${tag}-expected`);
  const b = await decodeTiffWithLibtiff(actual, dir.path, `${tag}-actual`);
  assert.equal(b.length, a.length, 'page count');
  for (let i = 0; i < a.length; i++) assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1}: differing pixels`);
}

describe('fax over G.711 RTP with spandsp, real time', { concurrency: 3 }, () => {
  test('faxgate sends over PCMU, spandsp receives the page unchanged', async () => {
    const log: string[] = [];
    const engine = createT30Engine(config('send', { document: tiffDocument(new Uint8Array(await readFile(doc))) }));
    const terminal = new AudioFaxTerminal({ engine, calling: true, log: (l) => log.push(l) });
    const out = join(dir.path, 'rtp-spandsp-received.tif');
    const r = await rtpCall(terminal, 'ulaw', ['receive', out], log);
    const why = `\nfaxgate:\n${log.slice(-50).join('\n')}\nspandsp:\n${r.peerLog.slice(-1500)}\njitter buffer: ${JSON.stringify(r.stats)}`;
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.code, 0, `spandsp's completion${why}`);
    await samePages(doc, out, 'rtp-to-spandsp');
  });

  test('spandsp sends over PCMA, faxgate receives the page unchanged', async () => {
    const log: string[] = [];
    const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
    const engine = createT30Engine(config('receive', { judgePage: (data, params) => decodeReceivedPage(data, params) }));
    const terminal = new AudioFaxTerminal({
      engine,
      calling: false,
      log: (l) => log.push(l),
      onAction: (a) => {
        if (a.type === 'page-received') pages.push({ data: a.data, params: a.params });
      },
    });
    const r = await rtpCall(terminal, 'alaw', ['send', doc], log);
    const why = `\nfaxgate:\n${log.slice(-50).join('\n')}\nspandsp:\n${r.peerLog.slice(-1500)}\njitter buffer: ${JSON.stringify(r.stats)}`;
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.code, 0, `spandsp's completion${why}`);
    assert.equal(pages.length, 1, why);
    await samePages(doc, receivedTiff(pages), 'rtp-from-spandsp');
  });

  test('spandsp sends over PCMU with every 7th packet overtaken, faxgate receives the page unchanged', async () => {
    const log: string[] = [];
    const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
    const engine = createT30Engine(config('receive', { judgePage: (data, params) => decodeReceivedPage(data, params) }));
    const terminal = new AudioFaxTerminal({
      engine,
      calling: false,
      log: (l) => log.push(l),
      onAction: (a) => {
        if (a.type === 'page-received') pages.push({ data: a.data, params: a.params });
      },
    });
    const r = await rtpCall(terminal, 'ulaw', ['send', doc], log, 7);
    const why = `\nfaxgate:\n${log.slice(-50).join('\n')}\nspandsp:\n${r.peerLog.slice(-1500)}\njitter buffer: ${JSON.stringify(r.stats)}`;
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.code, 0, `spandsp's completion${why}`);
    assert.equal(pages.length, 1, why);
    await samePages(doc, receivedTiff(pages), 'rtp-from-spandsp-reordered');
  });
});
