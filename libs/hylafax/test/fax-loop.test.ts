import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir, type TempDir, waitUntil } from '@faxgate/testkit';
import {
  commitFax,
  fetchReceivedFax,
  findJob,
  HylafaxClient,
  HylafaxProtocolError,
  markReceivedProcessed,
  prepareFax,
  receivedFaxKey,
  submitFax,
  waitForJob,
  type FaxRequest,
  type HylafaxConnectOptions,
} from '../src/index.ts';
import { startHylafaxTestbed, type HylafaxTestbed, type TestModem } from './hylafax-testbed.ts';
import { makeTwoPageFax } from './test-fax.ts';
import { blackPixels, decodePages, differingRows } from './tiff-pages.ts';

const run = promisify(execFile);

// One real HylaFAX for the whole file: a fax from modem A to modem B takes about 40 s.
let bed: HylafaxTestbed;
let work: TempDir;
let login: HylafaxConnectOptions;
let modemA: TestModem;
let modemB: TestModem;
let sentTiff: string;
let sentBytes: Buffer;
const DIALED = '5550120';


function request(tag: string, extra: Partial<FaxRequest> = {}): FaxRequest {
  // Audio over IAX2 on a busy machine can lose the carrier: HylaFAX may try again, 15 s later.
  return { tag, dialString: DIALED, toUser: 'Loop Test', modem: modemA.deviceId, documents: [{ data: sentBytes }], maxTries: 3, retryTimeSeconds: 15, ...extra };
}

async function withDiagnostics<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (err) {
    (err as Error).message += `\n${await bed.diagnostics()}`;
    throw err;
  }
}

before(async () => {
  work = await tempDir('faxgate-hylafax-loop');
  bed = await startHylafaxTestbed();
  modemA = bed.modemA!;
  modemB = bed.modemB!;
  login = { host: bed.host, port: bed.port, user: bed.user, password: bed.password };
  sentTiff = await makeTwoPageFax(work.path);
  sentBytes = await readFile(sentTiff);
}, { timeout: 120_000 }); // the bed waits for faxq's own view of both modems

after(async () => {
  await bed?.stop();
  await work?.remove();
});

test('a worker that dies before JSUBM leaves no job behind, so the fax may be prepared again', async () => {
  const tag = `fg-crash-before-${process.pid}`;
  const first = await HylafaxClient.connect(login);
  const prepared = await prepareFax(first, request(tag));
  assert.ok(prepared.jobId > 0);
  assert.match(prepared.documents[0], /^\/tmp\/doc\d+\.tif$/);
  first.destroy();

  const second = await HylafaxClient.connect(login);
  // hfaxd drops the session's unsubmitted job when its process sees the connection close.
  await waitUntil('the unsubmitted job to vanish', async () => (await findJob(second, tag)) === undefined, 10_000, 200);
  assert.equal(await second.getJob(prepared.jobId), undefined);
  await second.quit();
});

// One real call between two iaxmodems takes 35–90 s (slower under the suite's load); HylaFAX may
// try it three times (15 s apart) when the carrier is lost.
test('a fax goes from modem A to modem B; after a restart its job is found, not submitted twice, and followed to done; it arrives in recvq with its metadata, and libtiff finds the pages that were sent', { timeout: 360_000 }, async (t) => {
  const tag = `fg-loop-${process.pid}`;
  let recorded: number | undefined;
  const started = Date.now();
  const first = await HylafaxClient.connect(login);
  const prepared = await submitFax(first, request(tag), async (p) => {
    // The caller's durable record of the HylaFAX job id, written before JSUBM.
    recorded = p.jobId;
  });
  assert.equal(prepared.jobId, recorded);
  first.destroy(); // the worker dies right after JSUBM, before it could note the submission

  const second = await HylafaxClient.connect(login);
  const found = await findJob(second, tag);
  assert.ok(found, 'the submitted job is found by its tag');
  assert.equal(found.jobId, recorded);
  const all = [...(await second.listJobs('sendq')), ...(await second.listJobs('doneq'))].filter((j) => j.tag === tag);
  assert.equal(all.length, 1, 'exactly one job carries the tag');

  const states = new Set<string>();
  const final = await withDiagnostics(waitForJob(second, found.jobId, { intervalMs: 1_000, timeoutMs: 240_000, onUpdate: (s) => states.add(s.state) }));
  t.diagnostic(`job ${final.jobId}: ${[...states].join(' → ')} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${final.signalRate}, ${final.dataFormat}`);
  assert.equal(final.state, 'done', final.statusText);
  assert.equal(final.pagesSent, 2);
  assert.equal(final.totalPages, 2);
  assert.ok(final.tries >= 1 && final.tries <= 3, `tries ${final.tries}`);
  assert.equal(final.remoteCsi, modemB.localId);
  assert.equal(final.tag, tag);
  assert.equal(final.dialString, DIALED);
  // The same job through hfaxd's JOB/JPARM queries.
  assert.equal(await second.selectJob(final.jobId), true);
  assert.equal(await second.getJobParam('STATE'), 'DONE');
  assert.equal(await second.getJobParam('JOBINFO'), tag);
  await second.quit();

  const c = await HylafaxClient.connect(login);
  // The last reception is the complete one (a try that lost its carrier leaves a partial fax).
  const received = await withDiagnostics(waitUntil('the fax in recvq', async () => {
    const fromA = (await c.listReceived()).filter((f) => f.senderTsi === modemA.localId || f.inProgress);
    if (fromA.some((f) => f.inProgress)) return undefined;
    return fromA.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.file.localeCompare(a.file))[0];
  }, 60_000, 500));
  t.diagnostic(JSON.stringify(received));
  assert.match(received.file, /^fax\d+\.tif$/);
  assert.equal(received.pages, 2);
  assert.equal(received.callerNumber, modemA.callerNumber);
  assert.equal(received.callerName, modemA.callerName);
  assert.equal(received.verticalResolution, 196);
  assert.equal(received.pageWidth, 1728);
  assert.ok(received.signalRate >= 2400, `signal rate ${received.signalRate}`);
  assert.equal(received.error, '');
  assert.ok(Math.abs(received.receivedAt.getTime() - Date.now()) < 10 * 60_000, 'received just now');

  assert.equal(receivedFaxKey(received), `hylafax-${received.file.replace('.tif', '')}-${received.receivedAt.getTime() / 1000}`);
  const fetched = await fetchReceivedFax(c, received);
  const receivedBytes = fetched.data;
  assert.equal(receivedBytes.length, received.sizeBytes);
  const identity = fetched.identity;
  assert.equal(identity?.senderTsi, modemA.localId);
  assert.equal(identity?.callIds[0], modemA.callerNumber);
  assert.equal(identity?.callIds[3], DIALED, 'NDID: the number modem A dialled');
  await c.quit();

  // libtiff judges the fetched file: a valid 2-page TIFF, with the pixels Ghostscript drew.
  const got = join(work.path, 'received.tif');
  await writeFile(got, receivedBytes);
  const { stdout } = await run('tiffinfo', [got]);
  assert.equal(stdout.match(/TIFF Directory at offset/g)?.length, 2);
  assert.match(stdout, new RegExp(`ImageDescription: ${modemA.localId}`));
  const sent = await decodePages(sentTiff, work.path, 'sent');
  const recv = await decodePages(got, work.path, 'received');
  assert.equal(recv.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    assert.deepEqual([recv[i].width, recv[i].length], [sent[i].width, sent[i].length], `page ${i + 1} size`);
    assert.ok(blackPixels(sent[i]) > 1000, `page ${i + 1} has content`);
    assert.equal(differingRows(sent[i], recv[i]), 0, `page ${i + 1}: rows differ from what was sent`);
  }
});

test('deleting a received fax needs admin rights; with them it can be moved out of recvq and deleted', async () => {
  // A reception of its own, as faxgetty leaves one (owner uucp, mode 0644).
  const file = await bed.seedReceivedFax(sentTiff);
  const plain = await HylafaxClient.connect(login);
  const received = await waitUntil(`${file} in recvq`, async () => (await plain.listReceived()).find((f) => f.file === file), 10_000, 200);
  const receivedBytes = await plain.retrieve(`/recvq/${file}`);
  assert.deepEqual(receivedBytes, sentBytes, 'the seeded fax as stored');
  const refused = await markReceivedProcessed(plain, received, { action: 'delete' }).then(() => undefined, (e: unknown) => e);
  assert.ok(refused instanceof HylafaxProtocolError, String(refused));
  assert.equal(refused.replyCode, 550);
  assert.match(refused.replyText, /not permitted/);
  await plain.quit();

  const admin = await HylafaxClient.connect({ ...login, adminPassword: bed.adminPassword });
  const archived = `/archive/${received.file}`;
  await markReceivedProcessed(admin, received, { action: 'move', directory: '/archive/' });
  assert.equal((await admin.listReceived()).some((f) => f.file === received.file), false, 'gone from recvq');
  assert.deepEqual(await admin.retrieve(archived), receivedBytes, 'moved intact');
  await admin.deleteFile(archived);
  const gone = await admin.size(archived).then(() => undefined, (e: unknown) => e);
  assert.ok(gone instanceof HylafaxProtocolError, String(gone));
  assert.equal(gone.replyCode, 550);
  await admin.quit();
});

test('a job waiting for its send time can be killed and removed', async () => {
  const c = await HylafaxClient.connect(login);
  const tag = `fg-kill-${process.pid}`;
  const prepared = await prepareFax(c, request(tag));
  const later = new Date(Date.now() + 2 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  // SENDTIME YYYYMMDDHHMM in GMT (the session set TZONE GMT).
  await c.setJobParam('SENDTIME', `${later.getUTCFullYear()}${pad(later.getUTCMonth() + 1)}${pad(later.getUTCDate())}${pad(later.getUTCHours())}${pad(later.getUTCMinutes())}`);
  await commitFax(c, prepared);
  const queued = await waitUntil('the job to be scheduled', async () => {
    const s = await c.getJob(prepared.jobId);
    return s && s.state !== 'suspended' && s.state !== 'unknown' ? s : undefined;
  }, 10_000, 200);
  assert.ok(['sleeping', 'pending'].includes(queued.state), queued.state);
  await c.killJob(prepared.jobId);
  const killed = await waitForJob(c, prepared.jobId, { intervalMs: 200, timeoutMs: 20_000 });
  assert.equal(killed.state, 'failed');
  assert.equal(killed.pagesSent, 0);
  // faxq may still hold the job file for a moment after doneq shows the job: that refusal is
  // transient, and the delete goes through once faxq lets go.
  await waitUntil('faxq to let the killed job be deleted', () => c.deleteJob(prepared.jobId).then(() => true, (err: unknown) => {
    if (err instanceof HylafaxProtocolError && err.transient) return false;
    throw err;
  }), 10_000, 200);
  assert.equal(await c.getJob(prepared.jobId), undefined);
  assert.equal(await findJob(c, tag), undefined);
  await c.quit();
});
