import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeTiff } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { Class1LineDriver } from '../src/class1-line-driver.ts';

// Standard resolution (204 × 98 dpi, T.30 DCS bit 15 clear) over two iaxmodem software modems,
// with efax as the independent far end: faxgate sends a 98 dpi document and efax stores it at
// 98 dpi, pixel for pixel; faxgate's receiver records a 98 dpi page at 98 dpi. libtiff
// (tiffinfo, tiffcp) reads the resolution and the pixels of both sides.
//
// Real-time calls over iaxmodem (about 20–40 s each): each test has its own timeout.

const run = promisify(execFile);
let pair: IaxmodemPair;
let dir: TempDir;
const children = new Set<ChildProcess>();

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-std');
});

after(async () => {
  for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  await pair?.stop();
  await dir?.remove();
});

function efax(args: string[]): { proc: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const proc = spawn('efax', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    children.delete(proc);
    resolve(code);
  }));
  return { proc, output: () => out, exit };
}

function driver(device: string, lines: string[]): Class1LineDriver {
  return new Class1LineDriver({
    devices: [device], linePrefix: 'test/std', localId: '+1 212 555 0101', ecm: true, modulations: ['v17', 'v29', 'v27ter'],
    dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'], answer: true, rings: 1, did: '',
    quirks: {}, checkIntervalMs: 30_000, log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) }),
  });
}

/** The vertical resolution of every page, as libtiff's tiffinfo reads it. */
async function yDpiOf(file: string): Promise<number[]> {
  const { stdout } = await run('tiffinfo', [file]);
  return [...stdout.matchAll(/Resolution: [\d.]+, ([\d.]+) pixels\/inch/g)].map((m) => Math.round(Number(m[1])));
}

test('faxgate sends a 2-page standard-resolution (98 dpi) fax to efax: efax stores both pages at 98 dpi, pixel for pixel', { timeout: 120_000 }, async () => {
  const log: string[] = [];
  const prefix = join(dir.path, 'efax-rx');
  const rx = efax(['-d', pair.b.device, '-o1', '-iS0=1', '-w', '-l', '+1 212 555 0199', '-r', prefix, '-v', 'ewinr']);
  const a = driver(pair.a.device, log);
  const pages = [textPage(1728, 140, 41), textPage(1728, 140, 42)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  try {
    // efax opens and initialises its modem before it waits for the ring.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const outcome = await a.send({ callId: 'std-1', number: '+12125550199', dialString: '5550199', document: tiff, fromPage: 1, line: 'test/std/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', JSON.stringify(outcome));
    assert.equal(outcome.pagesSent, 2);
    const code = await Promise.race([rx.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.equal(code, 0, `efax exit ${code}`);
    const files = (await readdir(dir.path)).filter((f) => f.startsWith('efax-rx.')).sort();
    assert.deepEqual(files, ['efax-rx.001', 'efax-rx.002']);
    const joined = join(dir.path, 'efax-rx.tif');
    await run('tiffcp', [...files.map((f) => join(dir.path, f)), joined]);
    assert.deepEqual(await yDpiOf(joined), [98, 98], 'efax stored standard-resolution pages');
    const got = await decodeTiffWithLibtiff(joined, dir.path, 'std-rx');
    const ref = await decodeTiffWithLibtiff(tiff, dir.path, 'std-sent');
    assert.equal(got.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(got[i].height, ref[i].height, `page ${i + 1}: rows (a fine page would have twice as many)`);
      assert.equal(differingPixels(got[i], ref[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
    }
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${rx.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    rx.proc.kill('SIGKILL');
    await a.stop();
  }
});

test('a standard-resolution (98 dpi) page from faxgate\'s class1 sender is recorded at 98 dpi by faxgate\'s receiver, pixel for pixel', { timeout: 120_000 }, async () => {
  // The sending side is faxgate, not efax: efax 0.9a sending to faxgate died of SIGFPE ("terminating
  // on signal 8") in about one run in four here, a crash of efax's own. libtiff still judges the
  // pixels and the resolution; efax judges faxgate's standard-resolution sending in the test above.
  const logA: string[] = [];
  const logB: string[] = [];
  const b = driver(pair.a.device, logB);
  const a = driver(pair.b.device, logA);
  const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  const pages = [textPage(1728, 160, 43)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  const stop = await b.listen(async (c, outcome) => {
    received.push({ call: c, outcome });
    return 'in-test';
  });
  try {
    const outcome = await a.send({ callId: 'std-2', number: '+12125550110', dialString: '5550110', document: tiff, fromPage: 1, line: 'test/std/2' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', JSON.stringify(outcome));
    await waitUntil('faxgate to hand the received fax to its sink', () => received.length > 0, 20_000);
    const { outcome: got } = received[0];
    assert.equal(got.pages, 1);
    assert.equal(got.partial, false);
    assert.match(logB.join(''), /DCS: [^"]*, standard,/, 'the sender asked for standard resolution');
    const stored = join(dir.path, 'faxgate-rx.tif');
    await writeFile(stored, got.document as Uint8Array);
    assert.deepEqual(await yDpiOf(stored), [98], 'faxgate recorded a standard-resolution page');
    const [page] = await decodeTiffWithLibtiff(stored, dir.path, 'std-rx2');
    const [ref] = await decodeTiffWithLibtiff(tiff, dir.path, 'std-sent2');
    assert.equal(page.height, ref.height, 'rows (a fine page would have twice as many)');
    assert.equal(differingPixels(page, ref), 0, 'pixels differ from the page sent');
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- sender\n${logA.join('')}\n--- receiver\n${logB.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    await stop();
    await a.stop();
    await b.stop();
  }
});
