// Issue 14, batching through the `hylafax` driver: two faxes waiting for one number go out as
// one HylaFAX job holding one document per fax (sendfax's way of sending several files in one
// call), and each fax keeps its own attempt, pages and result. The judges are HylaFAX itself (its
// job's queue file lists the documents it sent; faxsend reports the job's pages) and modem B's
// faxgetty, whose recvq shows one call carrying both documents, pixel for pixel as libtiff
// decodes them. Dispatch and the node run for real against Redis and a real HylaFAX with two
// iaxmodems (/work/shared/guide/fax-peers.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, waitUntil, type TempDir } from '@faxgate/testkit';
import { sliceTiff } from '@faxgate/fax-image';
import { fetchReceivedFax, HylafaxClient, type ReceivedFax } from '@faxgate/hylafax';
import { hylafaxDriverEnv, startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { makeTwoPageFax } from '../../../libs/hylafax/test/test-fax.ts';
import { decodePages, differingRows } from '../../../libs/hylafax/test/tiff-pages.ts';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { batchLead, queueBehindACall, waitForEnds } from './batch-bed.ts';

let hylafax: HylafaxTestbed;
let work: TempDir;
let bed: SimBed | undefined;

// Starting the bed waits for iaxmodem, faxgetty and faxq's own view of the modems (~10 s alone,
// up to a minute on a loaded machine).
before(async () => {
  work = await tempDir('faxgate-batch-hylafax');
  hylafax = await startHylafaxTestbed();
}, { timeout: 120_000 });
after(async () => {
  await bed?.dispose();
  await hylafax?.stop();
  await work?.remove();
});

// One 2-page call between the iaxmodems takes 35-60 s (V.17 audio over IAX2 in real time).
test('two faxes to one number go out as one HylaFAX job with a document each, in one call; each fax has its own attempt, pages and result', { timeout: 120_000 }, async () => {
  const sent = await makeTwoPageFax(work.path);
  const whole = await readFile(sent);
  // Two one-page faxes with different pages, so the order in the call shows.
  const docA = sliceTiff(whole, 0, 1);
  const docB = sliceTiff(whole, 1, 2);
  bed = await startSimBed('faxgate-batch-hylafax', {
    ...hylafaxDriverEnv(hylafax),
    FAXGATE_HYLAFAX_MODEM: hylafax.modemA!.deviceId,
    // The received fax stays in modem B's recvq for the test to read.
    FAXGATE_HYLAFAX_POLL_INTERVAL: '0',
    // A job faxq does not start within 60 s will not start: fail with the bed's state.
    FAXGATE_HYLAFAX_START_TIMEOUT: '60s',
  });
  const { records } = bed.gw.ctx;
  const number = '+15550120';
  const server = { host: hylafax.host, port: hylafax.port, user: hylafax.user, password: hylafax.password };
  const watcher = await HylafaxClient.connect(server);
  const before = new Set((await watcher.listReceived()).map((f) => f.file));
  const evidence = async () => `\n${await hylafax.diagnostics()}`;
  const [a, b] = await queueBehindACall(bed, number, [
    { pages: 1, document: docA, sender: 'ann@example.com' },
    { pages: 1, document: docB, sender: 'bob@example.com' },
  ]);
  const ended = await waitForEnds(bed, [a, b], 90_000, async (id) => `; the fax: ${JSON.stringify(await records.view(id))}${await evidence()}`);
  assert.deepEqual(ended.map((r) => r.state), ['sent', 'sent'], `${ended.map((r) => r.reason).join('; ')}${await evidence()}`);
  assert.deepEqual(ended.map((r) => r.attempts), [1, 1], 'one attempt each');

  // Each fax has its own attempt: the one that waited went in the other's call, one page each.
  const { firsts, lead, leadCall } = await batchLead(bed, [a, b]);
  assert.equal(firsts[1 - lead]?.batchedIn, leadCall, 'the other fax went in the lead\'s call');
  assert.deepEqual(firsts.map((x) => x?.result), ['success', 'success']);
  assert.deepEqual(firsts.map((x) => x?.pagesSent), [1, 1]);
  assert.deepEqual(firsts.map((x) => x?.remoteId), [hylafax.modemB!.localId, hylafax.modemB!.localId]);

  // HylaFAX's account: one job for both faxes, tagged with the lead's call id, both pages sent,
  // and its queue file lists two documents.
  const jobs = [...(await watcher.listJobs('sendq')), ...(await watcher.listJobs('doneq'))].filter((j) => j.tag.startsWith(`${a}-`) || j.tag.startsWith(`${b}-`));
  assert.deepEqual(jobs.map((j) => j.tag), [leadCall], JSON.stringify(jobs));
  const job = await watcher.getJob(jobs[0].jobId);
  assert.equal(job?.state, 'done');
  assert.equal(job?.pagesSent, 2);
  const qfile = await readFile(join(hylafax.spool, 'doneq', `q${jobs[0].jobId}`), 'latin1');
  const documents = qfile.split('\n').filter((l) => /^!?tiff:/.test(l));
  assert.equal(documents.length, 2, `the job's documents:\n${qfile}`);

  // Modem B received one fax from modem A since the test began: one call, both documents in the
  // lead's order, every row as sent.
  const fromA = async () => (await watcher.listReceived()).filter((f) => !before.has(f.file) && !f.inProgress && f.senderTsi === hylafax.modemA!.localId);
  const received: ReceivedFax[] = await waitUntil('the fax in modem B\'s recvq', async () => ((await fromA()).length > 0 ? fromA() : undefined), 30_000, 500);
  assert.equal(received.length, 1, `one call: ${received.map((f) => f.file).join(', ')}`);
  assert.equal(received[0].pages, 2);
  const got = join(work.path, 'received.tif');
  await writeFile(got, (await fetchReceivedFax(watcher, received[0])).data);
  await watcher.quit();
  const sentPages = await decodePages(sent, work.path, 'sent');
  const order = lead === 0 ? [sentPages[0], sentPages[1]] : [sentPages[1], sentPages[0]];
  const receivedPages = await decodePages(got, work.path, 'received');
  assert.equal(receivedPages.length, 2);
  for (const [i, p] of receivedPages.entries()) assert.equal(differingRows(order[i], p), 0, `page ${i + 1} of the call is ${i === 0 ? 'the lead\'s' : 'the other fax\'s'} page`);
});
