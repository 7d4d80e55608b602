import type { OutgoingCall } from '@faxgate/line-driver';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { tempDir, type TempDir, waitUntil } from '@faxgate/testkit';
import { fetchReceivedFax, findJob, HylafaxClient, HylafaxLineDriver, type HylafaxConnectOptions, type ReceivedFax } from '../src/index.ts';
import { startHylafaxTestbed, type HylafaxTestbed } from './hylafax-testbed.ts';
import { makeStandardPage, makeTwoPageFax } from './test-fax.ts';
import { decodePages, differingRows } from './tiff-pages.ts';

// The node daemon's view of HylaFAX: a line driver whose calls are HylaFAX jobs, on a real
// HylaFAX with two iaxmodems (A sends, B receives).
let bed: HylafaxTestbed;
let work: TempDir;
let server: HylafaxConnectOptions;
let sentTiff: string;
let document: Buffer;
const seen = new Set<string>();

function call(callId: string, fromPage = 1): OutgoingCall {
  return { callId, number: '+15550120', dialString: '5550120', document, fromPage, line: 'hylafax-1' };
}

/** Waits for the next fax from modem A that no earlier test has taken. */
async function nextReceived(c: HylafaxClient): Promise<ReceivedFax> {
  const fax = await waitUntil('a new fax in recvq', async () => (await c.listReceived()).find((f) => !seen.has(f.file) && !f.inProgress && f.senderTsi === bed.modemA!.localId), 60_000, 500);
  seen.add(fax.file);
  return fax;
}

// Starting the bed waits for iaxmodem, faxgetty and faxq's own view of the modems (~10 s alone,
// up to a minute while the other real-time tests load the machine).
before(async () => {
  work = await tempDir('faxgate-hylafax-driver');
  bed = await startHylafaxTestbed();
  server = { host: bed.host, port: bed.port, user: bed.user, password: bed.password };
  sentTiff = await makeTwoPageFax(work.path);
  document = await readFile(sentTiff);
}, { timeout: 120_000 });

after(async () => {
  await bed?.stop();
  await work?.remove();
});

/** A call HylaFAX never started is the test bed's fault, not the line's: stop with the evidence. */
async function assertStarted(outcome: { result: string; reason?: string }): Promise<void> {
  if (outcome.reason && /did not start job/.test(outcome.reason)) assert.fail(`${outcome.reason}\n${await bed.diagnostics()}`);
}

// A real call between two iaxmodems takes 35–90 s (V.17 audio over IAX2 in real time, slower
// under the suite's load), and a lost carrier costs another; three calls fit in 6 minutes.
const CALLS_BUDGET_MS = 360_000;

function driverForTests(): HylafaxLineDriver {
  // A job faxq does not start within 90 s will not start: fail with the bed's state instead of
  // waiting out the test's timeout.
  return new HylafaxLineDriver({ server, modem: bed.modemA!.deviceId, pollIntervalMs: 1_000, startTimeoutMs: 90_000 });
}

test('a call from page 2 sends only page 2, and the outcome says so', { timeout: CALLS_BUDGET_MS }, async (t) => {
  const driver = driverForTests();
  // Each call is one try; audio over IAX2 on a busy machine can lose the carrier, and then the
  // next attempt is a new call, as faxgate's retry policy would place it.
  let outcome: Awaited<ReturnType<HylafaxLineDriver['send']>> | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (attempt > 1) await bed.settleModems();
    outcome = await driver.send(call(`fax1-r1-a${attempt}-${process.pid}`, 2), new AbortController().signal).catch(async (err: Error) => {
      err.message += `\n${await bed.diagnostics()}`;
      throw err;
    });
    if (outcome.result === 'success') break;
    await assertStarted(outcome);
    t.diagnostic(`attempt ${attempt}: ${outcome.result} after ${outcome.pagesSent} page(s): ${outcome.reason}`);
    // A lost carrier is a line failure, never anything else.
    assert.ok(['no-carrier', 'failed'].includes(outcome.result), outcome.result);
    const c = await HylafaxClient.connect(server);
    for (const f of await c.listReceived()) seen.add(f.file);
    await c.quit();
  }
  assert.ok(outcome);
  t.diagnostic(`page 2 sent in ${(outcome.durationMs / 1000).toFixed(1)} s as HylaFAX job ${outcome.hylafaxJobId}`);
  assert.equal(outcome.result, 'success', outcome.reason);
  assert.equal(outcome.pagesSent, 1);
  assert.equal(outcome.remoteId, bed.modemB!.localId);
  assert.equal(outcome.reason, undefined);
  assert.ok(outcome.hylafaxJobId > 0);

  const c = await HylafaxClient.connect(server);
  const fax = await nextReceived(c);
  assert.equal(fax.pages, 1);
  const got = join(work.path, 'page2.tif');
  await writeFile(got, (await fetchReceivedFax(c, fax)).data);
  await c.quit();
  const [sentPage2] = (await decodePages(sentTiff, work.path, 'sent')).slice(1);
  const [receivedPage] = await decodePages(got, work.path, 'page2');
  assert.equal(differingRows(sentPage2, receivedPage), 0, 'the received page is page 2');
});

test('a call re-run after its worker stopped follows the job already submitted, and the fax goes out once', { timeout: CALLS_BUDGET_MS }, async (t) => {
  await bed.settleModems();
  const callId = `fax2-r1-a1-${process.pid}`;
  const driver = driverForTests();
  const watcher = await HylafaxClient.connect(server);
  for (const f of await watcher.listReceived()) seen.add(f.file);
  const stop = new AbortController();
  const first = driver.send(call(callId), stop.signal);
  // The worker is stopped (shutdown) once its job is on the server, while HylaFAX is sending it.
  const submitted = await waitUntil('the job to be submitted', () => findJob(watcher, callId), 30_000, 100);
  stop.abort(new Error('worker shutting down'));
  await assert.rejects(first, /worker shutting down/);

  let outcome = await driver.send(call(callId), new AbortController().signal);
  assert.equal(outcome.hylafaxJobId, submitted.jobId, 'the re-run followed the same HylaFAX job');
  const tagged = [...(await watcher.listJobs('sendq')), ...(await watcher.listJobs('doneq'))].filter((j) => j.tag === callId);
  assert.equal(tagged.length, 1, 'one HylaFAX job for the call');
  await assertStarted(outcome);
  // A carrier lost over IAX2 on a loaded machine ends that job; faxgate's retry policy would
  // place a new call (a new call id), and so does the test, until the fax is through.
  for (let attempt = 2; outcome.result !== 'success' && attempt <= 3; attempt++) {
    t.diagnostic(`call ${attempt - 1} ended ${outcome.result}: ${outcome.reason}`);
    assert.ok(['no-carrier', 'failed'].includes(outcome.result), outcome.result);
    await bed.settleModems();
    outcome = await driver.send(call(`fax2-r1-a${attempt}-${process.pid}`), new AbortController().signal);
    await assertStarted(outcome);
  }
  assert.equal(outcome.result, 'success', outcome.reason);
  assert.equal(outcome.pagesSent, 2);
  assert.equal(outcome.remoteId, bed.modemB!.localId);
  // Once: exactly one complete two-page reception from modem A since this test began.
  const completeFromA = async () => (await watcher.listReceived()).filter((f) => !seen.has(f.file) && !f.inProgress && f.senderTsi === bed.modemA!.localId && f.error === '');
  const [fax] = await waitUntil('the complete fax in recvq', async () => ((await completeFromA()).length > 0 ? completeFromA() : undefined), 60_000, 500);
  assert.equal(fax.pages, 2);
  assert.deepEqual((await completeFromA()).map((f) => f.file), [fax.file], 'one complete copy of the fax, not two');
  await watcher.quit();
});

/** The vertical resolution libtiff's tiffinfo reads from a TIFF's first page, in lines per inch. */
async function yResolutionOf(path: string): Promise<number> {
  const { stdout } = await promisify(execFile)('tiffinfo', [path]);
  const m = /Resolution: [\d.]+, ([\d.]+) (pixels\/inch|pixels\/cm)/.exec(stdout);
  assert.ok(m, stdout);
  return Math.round(Number(m[1]) * (m[2] === 'pixels/cm' ? 2.54 : 1));
}

test('a standard-resolution (98 dpi) document goes out at standard: faxgetty stores it at 98 lines per inch (tiffinfo), row for row as sent', { timeout: CALLS_BUDGET_MS }, async (t) => {
  await bed.settleModems();
  const driver = driverForTests();
  const path = await makeStandardPage(work.path);
  assert.equal(await yResolutionOf(path), 98, 'Ghostscript made a standard-resolution page');
  const standard = await readFile(path);
  const c = await HylafaxClient.connect(server);
  for (const f of await c.listReceived()) seen.add(f.file);
  let outcome: Awaited<ReturnType<HylafaxLineDriver['send']>> | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (attempt > 1) await bed.settleModems();
    outcome = await driver.send({ ...call(`std-a${attempt}-${process.pid}`), document: standard }, new AbortController().signal);
    if (outcome.result === 'success') break;
    await assertStarted(outcome);
    t.diagnostic(`attempt ${attempt}: ${outcome.result} after ${outcome.pagesSent} page(s): ${outcome.reason}`);
    assert.ok(['no-carrier', 'failed'].includes(outcome.result), outcome.result);
    for (const f of await c.listReceived()) seen.add(f.file);
  }
  assert.equal(outcome?.result, 'success', outcome?.reason);
  const fax = await nextReceived(c);
  assert.equal(fax.verticalResolution, 98, 'hfaxd lists the reception at 98 lpi');
  const got = join(work.path, 'standard-rx.tif');
  await writeFile(got, (await fetchReceivedFax(c, fax)).data);
  await c.quit();
  assert.equal(await yResolutionOf(got), 98, 'the page faxgetty stored is standard resolution');
  const [sent] = await decodePages(path, work.path, 'standard-sent');
  const [received] = await decodePages(got, work.path, 'standard-rx');
  assert.equal(received.length, sent.length, 'as many rows as were sent (not stretched to fine)');
  assert.equal(differingRows(sent, received), 0, 'the received page is the page sent');
});
