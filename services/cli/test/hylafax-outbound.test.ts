import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { assertNothingFor, makePdf, tempDir, waitUntil, type TempDir } from '@faxgate/testkit';
import { HylafaxClient } from '@faxgate/hylafax';
import { hylafaxDriverEnv, startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { makeTwoPageFax } from '../../../libs/hylafax/test/test-fax.ts';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// The whole loop through a real HylaFAX: a mail goes out as a fax (the node daemon's line driver
// is `hylafax`, the server's modem A calls modem B over IAX2), the sender's result mail reports
// it, and the fax that arrived at modem B is polled from recvq, routed by its DID and mailed.
let bed: HylafaxTestbed;
let g: TestGateway;
let dir: TempDir;

const DIRECTORY = `unaddressed: faxadmin@example.com
users:
  - id: jdoe
    emails: [jdoe@example.com]
    dids: ["+12125550100"]
`;

// Starting the bed waits for faxq's own view of both modems; the gateway starts after it.
before(async () => {
  bed = await startHylafaxTestbed();
  dir = await tempDir('faxgate-hylafax-directory');
  await writeFile(join(dir.path, 'directory.yaml'), DIRECTORY);
  g = await startTestGateway({
    ...hylafaxDriverEnv(bed),
    FAXGATE_HYLAFAX_MODEM: bed.modemA!.deviceId,
    FAXGATE_HYLAFAX_POLL_INTERVAL: '1s',
    FAXGATE_DIRECTORY: join(dir.path, 'directory.yaml'),
    FAXGATE_DIRECTORY_POLL: '200ms',
    // Retries of a call whose server is down come 1, 2, 4, 8 s apart: room for an outage.
    FAXGATE_JOB_BACKOFF: '1s',
    // Audio over IAX2 on a busy machine can lose the carrier mid-page: faxgate then calls again
    // soon, with the whole document, so the last reception holds every page.
    FAXGATE_RETRY_FAILED_DELAY: '5s',
    FAXGATE_RETRY_NO_ANSWER_DELAY: '5s',
    FAXGATE_RETRY_BUSY_DELAY: '5s',
    FAXGATE_RETRY_RESUME: 'false',
  });
}, { timeout: 120_000 });
after(async () => {
  await g?.dispose();
  await bed?.stop();
  await dir?.remove();
});

async function recvq(): Promise<string[]> {
  const c = await HylafaxClient.connect({ host: bed.host, port: bed.port, user: bed.user, password: bed.password });
  const files = (await c.listReceived()).map((f) => f.file);
  await c.quit();
  return files;
}

// A real call between two iaxmodems takes 35–90 s (slower under the suite's load), a carrier lost
// over IAX2 costs another, and the received fax is then polled and mailed: 6 minutes at most.
test('a mail to a fax number goes out through HylaFAX, the result mail says so, and the fax that arrived at modem B is polled, routed by its DID and mailed with a PDF, then removed from recvq', { timeout: 360_000 }, async (t) => {
  const started = Date.now();
  const pdf = await makePdf(g.dir.path, 1, 'Through HylaFAX');
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({
    from: 'Alice Sender <alice@example.com>',
    to: '12125550100@fax.test',
    subject: 'Via HylaFAX',
    text: 'One page through a real fax server.',
    attachments: [{ filename: 'page.pdf', content: pdf }],
  });
  const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  assert.ok(faxId, info.response);

  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 300_000).catch(async (err: Error) => {
    err.message += `\n${await bed.diagnostics()}`;
    throw err;
  });
  t.diagnostic(`result mail after ${((Date.now() - started) / 1000).toFixed(1)} s: ${mail.parsed.subject}`);
  const sentPages = Number(/ sent: (\d+) pages?$/.exec(mail.parsed.subject ?? '')?.[1]);
  assert.ok(sentPages >= 1, `subject "${mail.parsed.subject}"`);
  assert.deepEqual(mail.to, ['alice@example.com']);
  assert.match(mail.parsed.text ?? '', new RegExp(`Pages: +${sentPages} of ${sentPages} sent`));
  assert.match(mail.parsed.text ?? '', new RegExp(`Remote id: +${bed.modemB!.localId}`));

  const view = await getFax(g.gw, faxId);
  assert.equal(view.state, 'done');
  assert.equal(view.recipients[0].state, 'sent');
  assert.equal(view.recipients[0].pagesSent, sentPages);
  const attempts: number = view.recipients[0].attempts;
  if (attempts > 1) t.diagnostic(`${attempts} attempts: the line lost its carrier before`);

  // HylaFAX's own account of it: one job per faxgate attempt, tagged with its call id, the last done.
  const c = await HylafaxClient.connect({ host: bed.host, port: bed.port, user: bed.user, password: bed.password });
  const jobs = (await c.listJobs('doneq')).filter((j) => j.tag.startsWith(`${faxId}-`)).sort((a, b) => a.jobId - b.jobId);
  assert.equal(jobs.length, attempts, JSON.stringify(jobs));
  assert.equal(new Set(jobs.map((j) => j.tag)).size, attempts, 'each attempt its own call id');
  const job = await c.getJob(jobs[jobs.length - 1].jobId);
  assert.equal(job?.state, 'done');
  assert.equal(job?.pagesSent, sentPages);
  assert.equal(job?.remoteCsi, bed.modemB!.localId);
  await c.quit();

  // The complete reception (a try that lost its carrier was mailed as well, as a partial fax).
  const subject = new RegExp(`^Fax from ${bed.modemA!.localId}, ${sentPages} pages?$`);
  const received = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-inbound-id') !== undefined && m.to.includes('jdoe@example.com') && subject.test(m.parsed.subject ?? ''), 120_000);
  const receivedPdf = received.parsed.attachments.find((a) => a.contentType === 'application/pdf');
  assert.ok(receivedPdf, 'the fax as PDF');
  assert.match(receivedPdf.content.subarray(0, 8).toString(), /^%PDF-/);
  await waitUntil('recvq to be emptied', async () => (await recvq()).length === 0, 30_000, 500);
});

test('a received fax the poller cannot remove is routed once, however often it is polled and across a restart', { timeout: 120_000 }, async () => {
  const before = g.sink.mails.length;
  const recvqDir = join(bed.spool, 'recvq');
  // faxgetty's directory made read-only: hfaxd's DELE fails, every poll round sees the fax again.
  await chmod(recvqDir, 0o555);
  let file: string;
  try {
    file = await bed.seedReceivedFax(await makeTwoPageFax(dir.path));
    const first = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-inbound-id') !== undefined && g.sink.mails.indexOf(m) >= before, 60_000);
    assert.match(first.parsed.subject ?? '', /, 2 pages$/);
    const routedAgain = () => g.sink.mails.slice(g.sink.mails.indexOf(first) + 1).find((m) => m.parsed.headers.get('x-faxgate-inbound-id') !== undefined)?.parsed.subject;
    // More poll rounds (1 s apart) find it again, before and after a restart of the gateway.
    await assertNothingFor('a second routing of the fax while it stays in recvq (2 poll rounds)', routedAgain, 2_500);
    await g.stopGateway();
    await g.restart();
    await assertNothingFor('a second routing of the fax after the restart (2 poll rounds)', routedAgain, 2_500);
    assert.deepEqual(await recvq(), [file], 'still on the server');
  } finally {
    await chmod(recvqDir, 0o755);
  }
  await waitUntil('recvq to be emptied', async () => (await recvq()).length === 0, 30_000, 500);
  const inboundMails = g.sink.mails.slice(before).filter((m) => m.parsed.headers.get('x-faxgate-inbound-id') !== undefined);
  assert.equal(inboundMails.length, 1, inboundMails.map((m) => m.parsed.subject).join('; '));
});

// A real call (35–90 s), perhaps twice, after the outage.
test('a fax submitted while the HylaFAX server is down goes out once it is back, as one job', { timeout: 300_000 }, async () => {
  await bed.settleModems();
  await bed.stopHfaxd();
  let faxId: string | undefined;
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'bob@example.com', to: '12125550100@fax.test', subject: 'During an outage', text: 'Sent while HylaFAX was down.' });
    faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
    assert.ok(faxId, info.response);
    // The node takes the call and meets a closed port: the call's job fails and waits to retry.
    await waitUntil('the call to be placed', async () => (await getFax(g.gw, faxId!)).recipients[0]?.state === 'calling', 60_000, 100);
    const calls = g.gw.ctx.queues.queue('calls', 'sim');
    await waitUntil('the call to meet the closed port and wait for its retry', async () => (await calls.getJobs(['delayed', 'waiting', 'active'])).some((j) => j.data.faxId === faxId && j.attemptsMade >= 1), 30_000, 100);
  } finally {
    await bed.startHfaxd();
  }
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 300_000);
  assert.match(mail.parsed.subject ?? '', / sent: \d+ pages?$/);
  const view = await getFax(g.gw, faxId!);
  assert.equal(view.recipients[0].state, 'sent');
  // The outage was retried as the same call: it added no attempt and no HylaFAX job of its own.
  const c = await HylafaxClient.connect({ host: bed.host, port: bed.port, user: bed.user, password: bed.password });
  const jobs = [...(await c.listJobs('sendq')), ...(await c.listJobs('doneq'))].filter((j) => j.tag.startsWith(`${faxId}-`));
  await c.quit();
  assert.equal(jobs.length, view.recipients[0].attempts, JSON.stringify(jobs));
  assert.ok(jobs.some((j) => j.tag.endsWith('-a1')), 'the first attempt went out after the outage');
});
