import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeTiff } from '@faxgate/fax-image';
import { fetchReceivedFax, HylafaxClient, HylafaxLineDriver, type HylafaxConnectOptions } from '@faxgate/hylafax';
import type { ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { Class1LineDriver } from '../src/class1-line-driver.ts';

// faxgate against HylaFAX 6.0.7, the fax server it replaces, over two iaxmodems: the HylaFAX
// test bed's modem A keeps its faxgetty, modem B's faxgetty is stopped and faxgate's class1
// driver takes that pty. HylaFAX negotiates ECM with MMR, so these calls check faxgate's
// host-framed ECM (frames, bit order, PPS/MCF) against an independent implementation, both ways.
// Pages are judged by libtiff, pixel for pixel.
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
  faxgate = new Class1LineDriver({
    devices: [device], linePrefix: 'test/hylafax', localId: '+1 212 555 0166', ecm: true, modulations: ['v17', 'v29', 'v27ter'],
    dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'], answer: true, rings: 1, did: '',
    quirks: {}, checkIntervalMs: 30_000, log: pino({ level: 'debug' }, { write: (s: string) => void log.push(s) }),
  });
  stopListening = await faxgate.listen(async (_c, outcome) => {
    received.push(outcome);
    return 'in-test';
  });
}, { timeout: 120_000 });

after(async () => {
  await stopListening?.();
  await bed?.stop();
  await work?.remove();
});

function doc(seed: number): Uint8Array {
  return writeTiff([textPage(1728, 500, seed), textPage(1728, 500, seed + 1)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
}

async function samePages(got: Uint8Array, sent: Uint8Array, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(got, work.path, tag);
  const b = await decodeTiffWithLibtiff(sent, work.path, `${tag}-sent`);
  assert.equal(a.length, b.length, 'page count');
  for (let i = 0; i < b.length; i++) {
    assert.equal(a[i].height, b[i].height, `page ${i + 1} height`);
    assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1} differs from the page sent`);
  }
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
    await samePages(r.document as Uint8Array, sent, 'from-hylafax');
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
      await samePages(new Uint8Array(data), sent, 'to-hylafax');
    } finally {
      await c.quit();
    }
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- faxgate\n${log.slice(from).join('')}\n${await bed.diagnostics()}`, { cause: err });
  }
});
