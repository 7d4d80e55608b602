import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { fetchReceivedFax, HylafaxClient, HylafaxLineDriver, type HylafaxConnectOptions } from '@faxgate/hylafax';
import type { ReceiveOutcome } from '@faxgate/line-driver';
import { tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { assertSamePages, codingsOf } from '../../../libs/class1/test/fax-bed.ts';
import type { Class1DriverOptions, Class1LineDriver } from '../src/class1-line-driver.ts';
import { class1Driver } from './class1-bed.ts';

// faxgate against HylaFAX 6.0.7, the fax server it replaces, over two iaxmodems: the HylaFAX
// test bed's modem A keeps its faxgetty, modem B's faxgetty is stopped and faxgate's class1
// driver takes that pty. HylaFAX negotiates ECM with MMR, so these calls check faxgate's
// host-framed ECM (frames, bit order, PPS/MCF) against an independent implementation, both ways.
// Pages are judged by libtiff, pixel for pixel. Two more calls hold the other cells
// against HylaFAX: faxgate offering V.29 without ECM makes HylaFAX send at 9600 in MR (its own
// 2-D coder), and faxgate limited to V.27 ter without ECM sends MR at 4800 to faxgetty, which
// stores what it received (libtiff reads its coding).
//
// Real-time calls over IAX2 (35–90 s each on a loaded machine): each test has its own timeout.

const run = promisify(execFile);
let bed: HylafaxTestbed;
let work: TempDir;
let server: HylafaxConnectOptions;
let faxgate: Class1LineDriver;
const log: string[] = [];
const received: ReceiveOutcome[] = [];
let stopListening: (() => Promise<void>) | undefined;

before(async () => {
  work = await tempDir('faxgate-class1-hylafax');
  bed = await startHylafaxTestbed();
  server = { host: bed.host, port: bed.port, user: bed.user, password: bed.password };
  // Modem B's faxgetty was started by this test's bed: found by its device path, ended by its pid.
  const device = bed.modemB!.device;
  const { stdout } = await run('pgrep', ['-f', `faxgetty .*${device}$`]).catch(() => ({ stdout: '' }));
  const pids = stdout.split('\n').map(Number).filter((n) => n > 0);
  assert.ok(pids.length > 0, `no faxgetty on ${device}`);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  await waitUntil(`faxgetty on ${device} to exit`, async () => (await run('pgrep', ['-f', `faxgetty .*${device}$`]).then(() => false, () => true)), 15_000);
  await useFaxgate({});
}, { timeout: 120_000 });

after(async () => {
  await stopListening?.();
  await faxgate?.stop();
  await bed?.stop();
  await work?.remove();
});

/** (Re)starts faxgate's class1 driver on modem B's pty with `options` over the bed's defaults, answering. */
async function useFaxgate(options: Partial<Class1DriverOptions>): Promise<void> {
  await stopListening?.();
  await faxgate?.stop();
  faxgate = class1Driver(bed.modemB!.device, 'hylafax', log, { localId: '+1 212 555 0166', ...options });
  stopListening = await faxgate.listen(async (_c, outcome) => {
    received.push(outcome);
    return 'in-test';
  });
}

/** HylaFAX's modem A is back in answer mode (its faxgetty's status file). */
async function hylafaxIdle(): Promise<void> {
  const status = join(bed.spool, 'status', bed.modemA!.deviceId);
  await waitUntil('modem A\'s faxgetty to be idle', async () => /Running and idle/.test(await readFile(status, 'utf8').catch(() => '')), 60_000, 250);
}

/** The fax faxgetty stored for faxgate's call (TSI +1 212 555 0166) that came after `known` files, as a file in `work`. */
async function fetchFromRecvq(known: Set<string>, tag: string): Promise<{ pages: number; file: string; data: Uint8Array }> {
  const c = await HylafaxClient.connect(server);
  try {
    const fax = await waitUntil('the fax in HylaFAX\'s recvq', async () => (await c.listReceived()).find((f) => !f.inProgress && f.senderTsi === '+1 212 555 0166' && !known.has(f.file)), 30_000, 500);
    const data = new Uint8Array((await fetchReceivedFax(c, fax)).data);
    const file = join(work.path, `${tag}.tif`);
    await writeFile(file, data);
    return { pages: fax.pages, file, data };
  } finally {
    await c.quit();
  }
}

/** The recvq files there are now. */
async function recvqFiles(): Promise<Set<string>> {
  const c = await HylafaxClient.connect(server);
  try {
    return new Set((await c.listReceived()).map((f) => f.file));
  } finally {
    await c.quit();
  }
}

function doc(seed: number): Uint8Array {
  return writeTiff([textPage(1728, 500, seed), textPage(1728, 500, seed + 1)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
}

test('HylaFAX (faxq/faxsend on modem A) sends 2 pages to faxgate: received with ECM, pixel for pixel', { timeout: 170_000 }, async () => {
  const sent = doc(51);
  const hylafax = new HylafaxLineDriver({ server, modem: bed.modemA!.deviceId, pollIntervalMs: 1_000, startTimeoutMs: 90_000 });
  try {
    const outcome = await hylafax.send({ callId: `hf-to-fg-${process.pid}`, number: '+15550120', dialString: '5550120', document: sent, fromPage: 1, line: 'hylafax-1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', outcome.reason);
    assert.equal(outcome.remoteId, '+1 212 555 0166');
    await waitUntil('faxgate to hand the fax over', () => received.length > 0, 30_000);
    const r = received[0];
    assert.equal(r.pages, 2);
    assert.equal(r.partial, false);
    assert.equal(r.csid, bed.modemA!.localId);
    assert.match(log.join(''), /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);
    await assertSamePages(r.document, sent, work.path, 'from-hylafax');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- faxgate\n${log.join('')}\n${await bed.diagnostics()}`, { cause: err });
  }
});

test('faxgate sends 2 pages with ECM to HylaFAX\'s faxgetty on modem A: its recvq file equals the pages sent', { timeout: 170_000 }, async () => {
  // Modem A's faxgetty must be back in answer mode (its status file; the bed's settleModems also
  // waits for modem B's faxgetty, which this file stopped). iaxmodem's NO DIALTONE window after
  // the last call is the driver's own business (it dials again).
  const status = join(bed.spool, 'status', bed.modemA!.deviceId);
  await waitUntil('modem A\'s faxgetty to be idle', async () => /Running and idle/.test(await readFile(status, 'utf8').catch(() => '')), 60_000, 250);
  const sent = doc(61);
  const from = log.length;
  try {
    const outcome = await faxgate.send({ callId: 'fg-to-hf', number: '+15550110', dialString: '5550110', document: sent, fromPage: 1, line: 'x' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}`);
    assert.equal(outcome.pagesSent, 2);
    assert.equal(outcome.remoteId, bed.modemA!.localId);
    assert.match(log.slice(from).join(''), /tx ECM block 0 of page 1/);
    const c = await HylafaxClient.connect(server);
    try {
      const fax = await waitUntil('the fax in HylaFAX\'s recvq', async () => (await c.listReceived()).find((f) => !f.inProgress && f.senderTsi === '+1 212 555 0166'), 30_000, 500);
      assert.equal(fax.pages, 2);
      const data = (await fetchReceivedFax(c, fax)).data;
      await assertSamePages(new Uint8Array(data), sent, work.path, 'to-hylafax');
    } finally {
      await c.quit();
    }
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- faxgate\n${log.slice(from).join('')}\n${await bed.diagnostics()}`, { cause: err });
  }
});

// Fine pages: the hylafax line driver submits every job with VRES 196 (libs/hylafax submit.ts),
// so HylaFAX sends a 98 dpi document at fine; standard resolution is held against efax
// (class1-standard-resolution).
test('HylaFAX sends 2 pages to faxgate offering V.29 without ECM: V.29 9600, MR, pixel for pixel', { timeout: 170_000 }, async () => {
  await useFaxgate({ ecm: false, modulations: ['v29'] });
  const sent = writeTiff([textPage(1728, 250, 71), textPage(1728, 250, 72)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  const from = log.length;
  received.length = 0;
  const hylafax = new HylafaxLineDriver({ server, modem: bed.modemA!.deviceId, pollIntervalMs: 1_000, startTimeoutMs: 90_000 });
  try {
    await hylafaxIdle();
    const outcome = await hylafax.send({ callId: `hf-to-fg-v29-${process.pid}`, number: '+15550120', dialString: '5550120', document: sent, fromPage: 1, line: 'hylafax-1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', outcome.reason);
    await waitUntil('faxgate to hand the fax over', () => received.length > 0, 30_000);
    const r = received[0];
    assert.equal(r.pages, 2);
    assert.equal(r.partial, false);
    // HylaFAX's choice within faxgate's DIS: MMR needs ECM (T.30 Table 2 note), so MR.
    assert.match(log.slice(from).join(''), /DCS: V\.29 9600 bit\/s, mr, fine, ecm false/);
    await assertSamePages(r.document, sent, work.path, 'from-hylafax-v29');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- faxgate\n${log.slice(from).join('')}\n${await bed.diagnostics()}`, { cause: err });
  }
});

test('faxgate limited to V.27 ter without ECM sends a page to HylaFAX\'s faxgetty: MR at 4800, and faxgetty\'s recvq file (MR, as libtiff reads it) equals the page sent', { timeout: 170_000 }, async () => {
  await useFaxgate({ ecm: false, modulations: ['v27ter'] });
  await hylafaxIdle();
  const known = await recvqFiles();
  const sent = writeTiff([{ bitmap: textPage(1728, 300, 81), xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
  const from = log.length;
  try {
    const outcome = await faxgate.send({ callId: 'fg-to-hf-v27', number: '+15550110', dialString: '5550110', document: sent, fromPage: 1, line: 'x' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}`);
    assert.equal(outcome.pagesSent, 1);
    assert.match(log.slice(from).join(''), /training accepted at V\.27ter 4800 bit\/s/);
    assert.doesNotMatch(log.slice(from).join(''), /tx ECM block/, 'no ECM');
    const fax = await fetchFromRecvq(known, 'to-hylafax-v27');
    assert.equal(fax.pages, 1);
    // faxgetty keeps the page data as it arrived: faxgate offered MR and HylaFAX accepts it.
    assert.deepEqual(await codingsOf(fax.file), ['mr'], 'the coding faxgetty received');
    await assertSamePages(fax.data, sent, work.path, 'to-hylafax-v27');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- faxgate\n${log.slice(from).join('')}\n${await bed.diagnostics()}`, { cause: err });
  }
});
