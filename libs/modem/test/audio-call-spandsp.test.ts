// Whole fax calls over audio between faxgate's audio terminal (its own V.21, V.27 ter and V.29
// modems driving the T.30 engine) and spandsp's fax_state, both directions, in simulated time:
// test/peers/spandsp-audio-fax-peer answers each 20 ms block of our audio with one of its own.
// The received pages must equal the sent ones pixel for pixel, as libtiff decodes them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createT30Engine, type SessionParams, type T30Config } from '@faxgate/t30';
import { decodeReceivedPage, receivedTiff, tiffDocument } from '@faxgate/t38';
import { decodeTiffWithLibtiff, differingPixels, tempDir, type TempDir } from '@faxgate/testkit';
import { AudioFaxTerminal } from '../src/audio-fax-terminal.ts';

const repo = resolve(import.meta.dirname, '../../..');
let peer: string;
let dir: TempDir;
let doc: string;

before(async () => {
  peer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
  dir = await tempDir('modem-audio-call');
  // One fine A4 page of text and line art, from Ghostscript (an independent producer).
  const ps = join(dir.path, 'page.ps');
  const lines = ['%!PS', '/Helvetica findfont 22 scalefont setfont'];
  for (let i = 0; i < 8; i++) lines.push(`72 ${740 - i * 40} moveto (faxgate audio modem test, line ${i + 1}) show`);
  lines.push('100 120 moveto 500 380 lineto 6 setlinewidth stroke showpage');
  await writeFile(ps, lines.join('\n') + '\n');
  doc = join(dir.path, 'page.tif');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${doc}`, ps]);
});
after(() => dir.remove());

interface CallOutcome {
  terminal: AudioFaxTerminal;
  peerCode: number | null;
  peerLog: string;
  log: string[];
}

/** Runs the call in lockstep until both ends are done; bounded in line time and wall time. */
function lockstep(terminal: AudioFaxTerminal, log: string[], args: string[]): Promise<CallOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(peer, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let peerLog = '';
    child.stderr.on('data', (d) => (peerLog += d));
    const block = new Int16Array(160);
    const rx = new Int16Array(160);
    let pending = Buffer.alloc(0);
    let afterFinish = 0;
    let ended = false;
    const maxBlocks = 50 * 240; // 4 minutes of line time
    let blocks = 0;
    const wall = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`call still running after 100 s wall time, ${blocks / 50} s of line time\nfaxgate:\n${log.slice(-40).join('\n')}\nspandsp:\n${peerLog.slice(-3000)}`));
    }, 100_000);
    const send = () => {
      terminal.generate(block);
      child.stdin.write(Buffer.from(block.buffer.slice(0)));
    };
    child.stdout.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 320 && !ended) {
        for (let i = 0; i < 160; i++) rx[i] = pending.readInt16LE(2 * i);
        pending = pending.subarray(320);
        terminal.receive(rx);
        blocks++;
        if (terminal.finished) afterFinish++;
        // 2 s of line time after our end lets the peer reach its phase E; then hang up.
        if (afterFinish > 100 || blocks >= maxBlocks) {
          ended = true;
          child.stdin.end();
        } else send();
      }
    });
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      clearTimeout(wall);
      resolvePromise({ terminal, peerCode: code, peerLog, log });
    });
    send();
  });
}

function config(role: 'send' | 'receive', extra: Partial<T30Config>): T30Config {
  return { role, localId: '+1 555 0100', ecm: false, modems: ['v27ter', 'v29'], encodings: ['mh', 'mr'], resolutions: ['standard', 'fine'], ...extra };
}

async function samePages(expected: string, actual: string | Uint8Array, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(expected, dir.path, `${tag}-expected`);
  const b = await decodeTiffWithLibtiff(actual, dir.path, `${tag}-actual`);
  assert.equal(b.length, a.length, 'page count');
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual([b[i].width, b[i].height], [a[i].width, a[i].height], `page ${i + 1} size`);
    assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1}: differing pixels`);
  }
}

test('faxgate sends a page over audio, spandsp receives it unchanged', async () => {
  const log: string[] = [];
  const engine = createT30Engine(config('send', { document: tiffDocument(new Uint8Array(await readFile(doc))) }));
  const terminal = new AudioFaxTerminal({ engine, calling: true, log: (l) => log.push(l) });
  const out = join(dir.path, 'spandsp-received.tif');
  const r = await lockstep(terminal, log, ['receive', out, '--modems', 'v27ter,v29']);
  const why = `\nfaxgate:\n${log.slice(-60).join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
  assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
  assert.equal(r.peerCode, 0, `spandsp's completion${why}`);
  await samePages(doc, out, 'to-spandsp');
});

test('spandsp sends a page over audio, faxgate receives it unchanged', async () => {
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
  const r = await lockstep(terminal, log, ['send', doc, '--modems', 'v27ter,v29']);
  const why = `\nfaxgate:\n${log.slice(-60).join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
  assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
  assert.equal(r.peerCode, 0, `spandsp's completion${why}`);
  assert.equal(pages.length, 1, why);
  await samePages(doc, receivedTiff(pages), 'from-spandsp');
});
