// Issue 17 for the `hylafax` driver: a node killed (kill -9) while HylaFAX sends its fax. The job
// it submitted goes on on the server without it, so the restarted node must follow that job to
// its end and record its outcome, not dial the fax again as a new job. The judges are HylaFAX's
// own queues (one job for the fax) and modem B's faxgetty, whose recvq must show the fax arriving
// once, whole. faxgate runs as separate role processes against Redis and a real hylafax-server
// with two iaxmodems (/work/shared/guide/fax-peers.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRedis } from '@faxgate/queue';
import { FaxRecords } from '@faxgate/store';
import { HylafaxClient, type JobSummary } from '@faxgate/hylafax';
import { assertNothingFor, freePort, makePdf, roleProcessEnv, startRedis, startRoleProcess, startSmtpSink, tempDir, waitUntil, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { hylafaxDriverEnv, startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { mailFax } from './mail-fax.ts';

let hylafax: HylafaxTestbed;
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;

// Starting the bed waits for iaxmodem, faxgetty and faxq's own view of the modems (~10 s alone,
// up to a minute on a loaded machine).
before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-hylafax-kill');
  hylafax = await startHylafaxTestbed();
}, { timeout: 120_000 });
after(async () => {
  await hylafax?.stop();
  await sink?.close();
  await redis?.dispose();
  await dir?.remove();
});

// One 4-page call (a cover page and 3 pages) between the iaxmodems takes about 50 s (V.17 audio
// over IAX2 in real time); the node is killed inside it and the restarted one takes it over within about 15 s (lock 10 s +
// stalled check 5 s), while HylaFAX goes on sending.
test('a node killed while HylaFAX sends its fax: the restarted node follows the same job to its end, the fax arrives once and the attempt records its result', { timeout: 120_000 }, async () => {
  const smtpPort = await freePort();
  const prefix = `test-${randomUUID()}`;
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url, smtpPort, prefix }, {
    ...hylafaxDriverEnv(hylafax),
    FAXGATE_HYLAFAX_MODEM: hylafax.modemA!.deviceId,
    // Received faxes stay in modem B's recvq for the test to count.
    FAXGATE_HYLAFAX_POLL_INTERVAL: '0',
    // A job faxq does not start within 60 s will not start: fail with the bed's state.
    FAXGATE_HYLAFAX_START_TIMEOUT: '60s',
  });
  const procs: RoleProcess[] = [];
  const client = createRedis(redis.url, 'background');
  const records = new FaxRecords(client, prefix);
  const server = { host: hylafax.host, port: hylafax.port, user: hylafax.user, password: hylafax.password };
  const watcher = await HylafaxClient.connect(server);
  const earlier = new Set((await watcher.listReceived()).map((f) => f.file));
  const fromA = async () => (await watcher.listReceived()).filter((f) => !earlier.has(f.file) && f.senderTsi === hylafax.modemA!.localId);
  let faxId = '';
  // A job moving to doneq between the two listings shows up in both: one job per id, the later view.
  const jobsOf = async (): Promise<JobSummary[]> => {
    const all = [...(await watcher.listJobs('sendq')), ...(await watcher.listJobs('doneq'))].filter((j) => j.tag.startsWith(`${faxId}-`));
    return [...new Map(all.map((j) => [j.jobId, j])).values()];
  };
  const procOutput = () => procs.map((p) => `--- ${p.roles.join(',')} ---\n${p.output().slice(-3000)}`).join('\n');
  const evidence = async () => `\nfax: ${JSON.stringify(faxId ? await records.view(faxId) : undefined)}\njobs: ${JSON.stringify(faxId ? await jobsOf() : [])}\n${procOutput()}\n${await hylafax.diagnostics()}`;
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    const node1 = await startRoleProcess(['node'], env);
    procs.push(node1);
    await core.ready();
    await node1.ready();

    faxId = await mailFax(smtpPort, { from: 'ann@example.com', to: '12125550400@fax.test', subject: 'Killed while HylaFAX sends', pdf: await makePdf(dir.path, 3, 'Killed mid-call') });

    // Kill inside the call: HylaFAX's job is active and its live page count (npages, which
    // faxsend raises as each page is confirmed) says modem B has some of the pages, not all.
    // hfaxd does not list a reception still being written, so modem B's side is judged after.
    const total = await waitUntil('the fax to be rendered', async () => (await records.getRecipient(faxId, 0))?.pagesTotal, 30_000, 100);
    assert.ok(total >= 3, `pages to send: ${total}`);
    const seen = new Set<string>();
    const job = await waitUntil('the fax\'s HylaFAX job to be active with a page sent', async () => {
      const [j] = await jobsOf();
      const st = j ? await watcher.getJob(j.jobId) : undefined;
      seen.add(`${st?.state} ${st?.pagesSent}`);
      return st?.state === 'active' && st.pagesSent >= 1 ? st : undefined;
    }, 90_000, 100).catch(async (err) => {
      throw new Error(`${(err as Error).message}\njob states and pages seen: ${[...seen].join(', ')}${await evidence()}`);
    });
    await node1.kill9();
    const atKill = await watcher.getJob(job.jobId);
    assert.equal(atKill?.state, 'active', `the job still runs on the server when the node is gone${await evidence()}`);
    assert.ok(atKill.pagesSent < total, `pages sent when the node was killed: ${atKill.pagesSent} of ${total}`);
    assert.equal((await records.getAttempt(faxId, 0, 1))?.result, undefined, 'no outcome recorded before the kill');

    const node2 = await startRoleProcess(['node'], env);
    procs.push(node2);
    await node2.ready();

    // The result mail, or a second HylaFAX job for the fax: a node that dials again submits one
    // as soon as it takes the call over, before the first job has ended.
    const first = await waitUntil('the result mail or a second HylaFAX job for the fax', async () => {
      const mail = sink.mails.find((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId);
      if (mail) return { mail };
      const jobs = await jobsOf();
      return jobs.length > 1 ? { jobs } : undefined;
    }, 90_000, 200).catch(async (err) => {
      throw new Error(`${(err as Error).message}${await evidence()}`);
    });
    assert.ok(first.mail, `the fax was submitted again: ${JSON.stringify(first.jobs)}${await evidence()}`);
    assert.match(first.mail.parsed.subject ?? '', new RegExp(` sent: ${total} pages$`), await evidence());
    assert.match(first.mail.parsed.text ?? '', /Attempts: +1\b/);
    assert.match(first.mail.parsed.text ?? '', new RegExp(`Remote id: +${hylafax.modemB!.localId}`));

    // HylaFAX's account: the one job submitted before the kill, done with every page.
    const jobs = await jobsOf();
    assert.deepEqual(jobs.map((j) => j.tag), [`${faxId}-r0-a1`], JSON.stringify(jobs));
    const done = await watcher.getJob(jobs[0].jobId);
    assert.equal(done?.state, 'done');
    assert.equal(done?.pagesSent, total);

    // faxgate's account: one attempt, not interrupted, with the job's result, written by the
    // node that followed the job after the kill.
    const view = (await records.view(faxId))!;
    const rcpt = view.recipients[0];
    assert.equal(rcpt.state, 'sent');
    assert.equal(rcpt.attemptsDetail.length, 1, JSON.stringify(rcpt.attemptsDetail));
    const [a1] = rcpt.attemptsDetail;
    assert.equal(a1.result, 'success');
    assert.equal(a1.pagesSent, total);
    assert.equal(a1.remoteId, hylafax.modemB!.localId);
    assert.notEqual(a1.interrupted, true);
    assert.ok(view.timeline.some((e) => e.event === 'call success' && /followed on the fax server/.test(e.detail ?? '')), JSON.stringify(view.timeline));

    // Modem B received the fax from modem A once, whole.
    const received = await waitUntil('the reception at modem B to be complete', async () => {
      const got = await fromA();
      return got.length > 0 && got.every((f) => !f.inProgress) ? got : undefined;
    }, 30_000, 500);
    assert.equal(received.length, 1, `one reception: ${JSON.stringify(received)}`);
    assert.equal(received[0].pages, total);
    assert.equal(received[0].error, '');

    // One result mail, and no other call afterwards.
    await assertNothingFor('a second result mail or HylaFAX job for the fax', async () => {
      const mails = sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId).length;
      const n = (await jobsOf()).length;
      return mails > 1 || n > 1 ? { mails, jobs: n } : undefined;
    }, 3_000, 500);
  } finally {
    await watcher.quit().catch(() => {});
    client.disconnect();
    for (const p of procs.reverse()) await p.stop();
  }
});
