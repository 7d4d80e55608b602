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
import { DestinationGate } from '@faxgate/destinations';
import { BatchClaims } from '@faxgate/node';
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
// stalled check 5 s), while HylaFAX goes on sending. Readiness waits are 90 s: at load 20-25 on
// two cores a role process took 19 s to load and more than the default 30 s to be ready, hence also the 240 s timeout.
test('a node killed while HylaFAX sends its fax: the restarted node follows the same job to its end, the fax arrives once and the attempt records its result', { timeout: 240_000 }, async () => {
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
    await core.ready(90_000);
    await node1.ready(90_000);

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
    await node2.ready(90_000);

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

// Two faxes batched into one HylaFAX job (one document each), the node carrying it killed after
// the job's first page. The job goes on for more than the 30 s a dead node's holds on the number
// last, and the other node (two lines) follows it while each fax's own job runs beside, and must
// not send its fax alone while HylaFAX still sends it in the batch; nor may another call to the
// number dial while the job runs. One 6-page call (two faxes of a cover page and two pages) takes
// 60-70 s. Both nodes run from the start, so the survivor takes the call over within about 15 s
// of the kill (lock 10 s + stalled check 5 s) and not after loading its modules too: at load
// 20-25 on two cores a role process took 19 s to load and more than the default 30 s to be
// ready, and a node started after the kill then found the job already done. 94-108 s in all on
// a quiet machine; the 240 s timeout and the 90 s readiness waits are for a loaded one. A shorter
// call would not outlast the 30 s lease reliably, and then the test could not see a fax going
// out alone.
test('a node killed while HylaFAX sends a batched job that outlasts the number\'s lease: each fax gets its own share of that job and none is sent again', { timeout: 240_000 }, async (t) => {
  await hylafax.settleModems();
  const smtpPort = await freePort();
  const prefix = `test-${randomUUID()}`;
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url, smtpPort, prefix }, {
    ...hylafaxDriverEnv(hylafax),
    FAXGATE_HYLAFAX_MODEM: hylafax.modemA!.deviceId,
    FAXGATE_HYLAFAX_POLL_INTERVAL: '0',
    FAXGATE_HYLAFAX_START_TIMEOUT: '60s',
    // Room for a fax's own job to run while another follows the batch's job.
    FAXGATE_NODE_LINES: '2',
  });
  const procs: RoleProcess[] = [];
  const client = createRedis(redis.url, 'background');
  const records = new FaxRecords(client, prefix);
  const gate = new DestinationGate(client, prefix);
  const claims = new BatchClaims(client, prefix);
  const number = '+12125550410';
  const watcher = await HylafaxClient.connect({ host: hylafax.host, port: hylafax.port, user: hylafax.user, password: hylafax.password });
  const earlier = new Set((await watcher.listReceived()).map((f) => f.file));
  const fromA = async () => (await watcher.listReceived()).filter((f) => !earlier.has(f.file) && f.senderTsi === hylafax.modemA!.localId);
  let faxes: string[] = [];
  const jobsOf = async (): Promise<JobSummary[]> => {
    const all = [...(await watcher.listJobs('sendq')), ...(await watcher.listJobs('doneq'))].filter((j) => faxes.some((id) => j.tag.startsWith(`${id}-`)));
    return [...new Map(all.map((j) => [j.jobId, j])).values()];
  };
  const evidence = async () => `\nfaxes: ${JSON.stringify(await Promise.all(faxes.map((id) => records.view(id))))}\njobs: ${JSON.stringify(await jobsOf())}\n${procs.map((p) => `--- ${p.roles.join(',')} ---\n${p.output().slice(-3000)}`).join('\n')}\n${await hylafax.diagnostics()}`;
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    // Named, so the line of the batch's call says which node carries it.
    const nodes = new Map<string, RoleProcess>();
    for (const id of ['node-a', 'node-b']) {
      const p = await startRoleProcess(['node'], { ...env, FAXGATE_NODE_ID: id });
      procs.push(p);
      nodes.set(id, p);
    }
    await core.ready(90_000);
    for (const p of nodes.values()) await p.ready(90_000);

    // Another call holds the number while both faxes arrive, so both wait for it and its next
    // call takes them together.
    assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 120_000));
    try {
      const send = async (from: string, subject: string) => mailFax(smtpPort, { from, to: `${number.slice(1)}@fax.test`, subject, pdf: await makePdf(dir.path, 2, subject) });
      faxes = [await send('ann@example.com', 'Batch one'), await send('bob@example.com', 'Batch two')];
      await waitUntil('both faxes to wait for the number', async () => (await claims.waiting(number, 60_000)).length === 2, 30_000).catch(async (err) => {
        throw new Error(`${(err as Error).message}${await evidence()}`);
      });
    } finally {
      await gate.release(number, 'test-holds-the-number');
    }
    const totals = await Promise.all(faxes.map(async (id) => (await records.getRecipient(id, 0))!.pagesTotal!));
    const total = totals[0] + totals[1];

    const seen = new Set<string>();
    const job = await waitUntil('the batch\'s HylaFAX job to be active with a page sent', async () => {
      const [j] = await jobsOf();
      const st = j ? await watcher.getJob(j.jobId) : undefined;
      seen.add(`${st?.state} ${st?.pagesSent}/${st?.totalPages}`);
      return st?.state === 'active' && st.pagesSent >= 1 ? st : undefined;
    }, 60_000, 100).catch(async (err) => {
      throw new Error(`${(err as Error).message}\njob states and pages seen: ${[...seen].join(', ')}${await evidence()}`);
    });
    const lead = faxes.find((id) => job.tag === `${id}-r0-a1`);
    assert.ok(lead, `the job carries one of the faxes' call ids: ${job.tag}`);
    const member = faxes.find((id) => id !== lead)!;
    // Lines are named <pool>/<node>/<n>: the node that carries the batch's call is killed.
    const carrier = (await records.getAttempt(lead, 0, 1))?.line?.split('/')[1] ?? '';
    const victim = nodes.get(carrier);
    assert.ok(victim, `the call's line names a node: ${carrier}${await evidence()}`);
    await victim.kill9();
    const killedAt = Date.now();
    const atKill = await watcher.getJob(job.jobId);
    assert.equal(atKill?.state, 'active', `the job still runs on the server when the node is gone${await evidence()}`);
    assert.ok(atKill.pagesSent < total, `pages sent when the node was killed: ${atKill.pagesSent} of ${total}`);

    // The number stays taken while the other node follows the job: the dead node's hold lapses
    // at most 30 s after the kill (its lease, renewed before it), so a hold of the followed call
    // lasting beyond that was taken after the kill, by the follower, while the job runs.
    const held = await waitUntil('the node that follows the job to hold its number', async () => {
      const [until, st] = await Promise.all([gate.leaseEnd(number, job.tag), watcher.getJob(job.jobId)]);
      if (until !== undefined && until > killedAt + 30_000) return { until, state: st?.state };
      if (st?.state !== 'active') throw new Error(`the job ended (${st?.state}) before the number was held again; the call's slot lapses at ${until === undefined ? 'none' : new Date(until).toISOString()}`);
      return undefined;
    }, 60_000, 200).catch(async (err) => {
      throw new Error(`${(err as Error).message}; holders: ${JSON.stringify(await gate.holders(number))}${await evidence()}`);
    });
    assert.equal(held.state, 'active', 'held while the job runs');
    // And once the dead node's lease is over for certain, a call of another fax, asking the gate
    // as a node does before dialling, is refused while the job still runs.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 31_000 - Date.now())));
    const probeId = `probe-${randomUUID()}`;
    const probeGot = await gate.acquire(number, probeId, 1, 5_000);
    if (probeGot) await gate.release(number, probeId);
    const afterLease = await watcher.getJob(job.jobId);
    if (afterLease?.state === 'active') assert.equal(probeGot, false, `another call to ${number} could dial while the job is on the line; holders: ${JSON.stringify(await gate.holders(number))}${await evidence()}`);
    else t.diagnostic(`the job ended (${afterLease?.state}) within 31 s of the kill: the probe after the dead node's lease was not judged`);

    const ended = await waitUntil('both result mails, or a second HylaFAX job', async () => {
      const mails = faxes.map((id) => sink.mails.find((m) => m.parsed.headers.get('x-faxgate-fax-id') === id));
      if (mails.every(Boolean)) return { mails };
      const jobs = await jobsOf();
      return jobs.length > 1 ? { jobs } : undefined;
    }, 60_000, 200).catch(async (err) => {
      throw new Error(`${(err as Error).message}${await evidence()}`);
    });
    assert.ok(ended.mails, `a fax was submitted again: ${JSON.stringify(ended.jobs)}${await evidence()}`);
    for (const [i, m] of ended.mails.entries()) assert.match(m!.parsed.subject ?? '', new RegExp(` sent: ${totals[i]} pages$`), await evidence());

    // HylaFAX's account: the one job, both documents' pages sent.
    const jobs = await jobsOf();
    assert.deepEqual(jobs.map((j) => j.tag), [`${lead}-r0-a1`], JSON.stringify(jobs));
    const done = await watcher.getJob(jobs[0].jobId);
    assert.equal(done?.state, 'done');
    assert.equal(done?.pagesSent, total);

    // faxgate's account: one attempt each, its own pages, the member's in the lead's call.
    const [la, ma] = await Promise.all([lead, member].map(async (id) => (await records.view(id))!.recipients[0]));
    assert.deepEqual([la.state, ma.state], ['sent', 'sent']);
    assert.deepEqual([la.attemptsDetail.length, ma.attemptsDetail.length], [1, 1], JSON.stringify([la.attemptsDetail, ma.attemptsDetail]));
    const [l1, m1] = [la.attemptsDetail[0], ma.attemptsDetail[0]];
    assert.deepEqual([l1.result, m1.result], ['success', 'success']);
    assert.deepEqual([l1.pagesSent, m1.pagesSent], [totals[faxes.indexOf(lead)], totals[faxes.indexOf(member)]]);
    assert.equal(l1.batchedIn, undefined);
    assert.equal(m1.batchedIn, `${lead}-r0-a1`);
    assert.equal(m1.remoteId, hylafax.modemB!.localId);
    assert.notEqual(l1.interrupted, true);
    assert.notEqual(m1.interrupted, true);

    // Modem B received one call from modem A carrying both documents.
    const received = await waitUntil('the reception at modem B to be complete', async () => {
      const got = await fromA();
      return got.length > 0 && got.every((f) => !f.inProgress) ? got : undefined;
    }, 30_000, 500);
    assert.equal(received.length, 1, `one reception: ${JSON.stringify(received)}`);
    assert.equal(received[0].pages, total);

    await assertNothingFor('another result mail or HylaFAX job for the faxes', async () => {
      const mails = sink.mails.filter((m) => faxes.includes(m.parsed.headers.get('x-faxgate-fax-id') as string)).length;
      const n = (await jobsOf()).length;
      return mails > 2 || n > 1 ? { mails, jobs: n } : undefined;
    }, 3_000, 500);
  } finally {
    await watcher.quit().catch(() => {});
    client.disconnect();
    for (const p of procs.reverse()) await p.stop();
  }
});
