import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeTiff } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { Class1LineDriver } from '../src/class1-line-driver.ts';

// faxgate against efax, an independent Class 1 fax program, over two iaxmodem software modems
// wired to each other over IAX2 on 127.0.0.1: faxgate sends on pty A and efax receives on pty B,
// then efax sends on pty B and faxgate receives on pty A. efax does not do ECM, so these calls
// are non-ECM (MH/MR), which is also where the bit order of page data through the DCE shows:
// two spandsp modems pass octets unchanged, efax decodes what it got. Pages are judged by
// libtiff, pixel for pixel, against the pages sent.
//
// Real-time calls over iaxmodem (about 20–40 s each with efax's pacing): each test has its own
// timeout, and efax's own wait (-w with a watchdog) is bounded below it.

const run = promisify(execFile);
let pair: IaxmodemPair;
let dir: TempDir;
const children = new Set<ChildProcess>();

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-efax');
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
    devices: [device], linePrefix: 'test/efax', localId: '+1 212 555 0101', ecm: true, modulations: ['v17', 'v29', 'v27ter'],
    dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'], answer: true, rings: 1, did: '',
    quirks: {}, checkIntervalMs: 30_000, log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) }),
  });
}

/** libtiff decodes both; every page must match pixel for pixel. */
async function assertSamePages(got: Uint8Array | string, sent: Uint8Array | string, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(got, dir.path, tag);
  const b = await decodeTiffWithLibtiff(sent, dir.path, `${tag}-sent`);
  assert.equal(a.length, b.length, 'page count');
  for (let i = 0; i < b.length; i++) {
    assert.equal(a[i].width, b[i].width, `page ${i + 1} width`);
    assert.equal(a[i].height, b[i].height, `page ${i + 1} height`);
    assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
  }
}

/**
 * efax 0.9a adds its own header band above every page it sends (a ruler and the sender id, about
 * 31 rows, whose text reaches into the page's first rows; `-h ''` makes it crash with SIGFPE) and
 * a few rows below it: every row of each page sent, from row HEADER_OVERLAP on, must appear pixel
 * for pixel in the page received, shifted down by efax's band.
 */
const HEADER_OVERLAP = 16;

async function assertPagesBelowHeader(got: Uint8Array, sent: string, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(got, dir.path, tag);
  const b = await decodeTiffWithLibtiff(sent, dir.path, `${tag}-sent`);
  assert.equal(a.length, b.length, 'page count');
  for (let i = 0; i < b.length; i++) {
    assert.equal(a[i].width, b[i].width, `page ${i + 1} width`);
    const rowBytes = b[i].stride;
    const matchesAt = (off: number) => {
      for (let y = HEADER_OVERLAP; y < b[i].height; y++) {
        for (let k = 0; k < rowBytes; k++) if (a[i].data[(y + off) * a[i].stride + k] !== b[i].data[y * rowBytes + k]) return false;
      }
      return true;
    };
    const offsets = Array.from({ length: Math.max(0, Math.min(64, a[i].height - b[i].height) + 1) }, (_, o) => o);
    assert.ok(offsets.some(matchesAt), `page ${i + 1}: rows ${HEADER_OVERLAP}–${b[i].height - 1} sent do not appear whole in the ${a[i].height} rows received`);
  }
}

test('faxgate sends 2 pages to efax (Class 1, non-ECM): efax reports success and its pages equal the pages sent', { timeout: 150_000 }, async () => {
  const log: string[] = [];
  const prefix = join(dir.path, 'efax-rx');
  // efax answers after one ring (S0=1 in the modem) and stores each page as prefix.NNN.
  const rx = efax(['-d', pair.b.device, '-o1', '-iS0=1', '-w', '-l', '+1 212 555 0199', '-r', prefix, '-v', 'ewinr']);
  const a = driver(pair.a.device, log);
  const pages = [textPage(1728, 240, 21), textPage(1728, 240, 22)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  try {
    // efax opens and initialises its modem before it waits for the ring.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const outcome = await a.send({ callId: 'efax-1', number: '+12125550199', dialString: '5550199', document: tiff, fromPage: 1, line: 'test/efax/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', JSON.stringify(outcome));
    assert.equal(outcome.pagesSent, 2);
    assert.equal(outcome.remoteId, '+1 212 555 0199');
    const code = await Promise.race([rx.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.equal(code, 0, `efax exit ${code}:\n${rx.output()}`);
    const files = (await readdir(dir.path)).filter((f) => f.startsWith('efax-rx.')).sort();
    assert.deepEqual(files, ['efax-rx.001', 'efax-rx.002']);
    // One TIFF per page from efax: join them with tiffcp for the comparison.
    const joined = join(dir.path, 'efax-rx.tif');
    await run('tiffcp', [...files.map((f) => join(dir.path, f)), joined]);
    await assertSamePages(joined, tiff, 'to-efax');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${rx.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    rx.proc.kill('SIGKILL');
    await a.stop();
  }
});

test('efax sends 2 pages to faxgate (Class 1, non-ECM, V.17): faxgate receives them, every row below efax\'s own header band pixel for pixel, with efax\'s TSI and the caller ID', { timeout: 150_000 }, async () => {
  const log: string[] = [];
  const b = driver(pair.a.device, log);
  const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  const pages = [textPage(1728, 240, 31), textPage(1728, 240, 32)];
  const files: string[] = [];
  for (const [i, bitmap] of pages.entries()) {
    // efax wants one TIFF-G3 file per page.
    const f = join(dir.path, `efax-tx.${i + 1}.tif`);
    await writeFile(f, writeTiff([{ bitmap, xDpi: 204, yDpi: 196 }], { compression: 'mh' }));
    files.push(f);
  }
  const stop = await b.listen(async (c, outcome) => {
    received.push({ call: c, outcome });
    return 'in-test';
  });
  let tx: ReturnType<typeof efax> | undefined;
  try {
    let code: number | null | 'timeout' = null;
    for (let attempt = 1; attempt <= 3; attempt++) {
      tx = efax(['-d', pair.b.device, '-o1', '-l', '+1 212 555 0177', '-v', 'ewinr', '-t', '5550110', ...files]);
      code = await Promise.race([tx.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 100_000))]);
      // iaxmodem answers NO DIALTONE for ~5 s after an on-hook on either modem (the faxgate
      // driver's ATZ, the previous call's ATH): efax gives up at once, so dial again shortly.
      if (code === 0 || !/dial command failed/.test(tx.output())) break;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    if (!tx) throw new Error('efax did not start');
    assert.equal(code, 0, `efax exit ${code}:\n${tx?.output()}`);
    await waitUntil('faxgate to hand the received fax to its sink', () => received.length > 0, 20_000);
    const { call: c, outcome } = received[0];
    assert.equal(outcome.pages, 2);
    assert.equal(outcome.partial, false);
    assert.equal(outcome.csid, '+1 212 555 0177');
    assert.equal(c.callingNumber, pair.b.callerNumber);
    assert.equal(c.did, '5550110');
    const sent = join(dir.path, 'efax-tx.tif');
    await run('tiffcp', [...files, sent]);
    await assertPagesBelowHeader(outcome.document as Uint8Array, sent, 'from-efax');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${tx?.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    tx?.proc.kill('SIGKILL');
    await stop();
  }
});


