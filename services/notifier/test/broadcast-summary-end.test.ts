import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { reopenRecipient, runRoles, type RunningGateway } from '@faxgate/runtime';
import { startRedis, startSmtpSink, tempDir, testGatewayEnv, waitUntil, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { jobId, newFaxId } from '@faxgate/queue';
import { notifierRole } from '../src/index.ts';
import { BroadcastEnd } from '../src/broadcast-end.ts';

// A broadcast's result-mail jobs read only their own recipient; the job that sees every
// recipient's outcome is the one that reads them all and queues the summary. These cases check
// the summary still goes out exactly when the last recipient ends: recipients ending one by one,
// outcomes seen by a notifier from before the per-fax hash existed, a job that died between
// counting its outcome and its check, and a recipient reopened and ended again.

let redis: TestRedis;
let dir: TempDir;
let sink: SmtpSink;
let gw: RunningGateway;
let probe: Redis;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-broadcast-end');
  sink = await startSmtpSink();
  gw = await runRoles([notifierRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url }, { FAXGATE_RESULT_ATTACH_PDF: 'false' }) });
  probe = new Redis(redis.url);
});
after(async () => {
  probe?.disconnect();
  await gw?.stop();
  await sink?.close();
  await redis?.dispose();
  await dir?.remove();
});

const numberOf = (i: number) => `+1212555030${i}`;

async function createBroadcast(n: number): Promise<string> {
  const faxId = newFaxId();
  await gw.ctx.records.create(
    { id: faxId, state: 'rendered', createdAt: new Date().toISOString(), sender: 'alice@example.com', subject: 'Price list', clientAddress: '127.0.0.1', authUser: 'alice', senderTrust: 'authenticated', messageKey: `messages/${faxId}.eml`, messageBytes: 10, recipientCount: n },
    Array.from({ length: n }, (_, index) => ({ index, address: `${numberOf(index).slice(1)}@fax.test`, number: numberOf(index), dialString: numberOf(index).slice(1), state: 'waiting' as const, pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 })),
  );
  return faxId;
}

/** Ends a recipient as dispatch does (state first, then its result-mail job) and waits for the job. */
async function end(faxId: string, i: number, ok: boolean) {
  await gw.ctx.records.incrementRecipient(faxId, i, 'attempts');
  await gw.ctx.records.updateRecipient(faxId, i, ok ? { state: 'sent', result: 'success', pagesTotal: 1, pagesSent: 1, finishedAt: new Date().toISOString() } : { state: 'failed', result: 'rejected', errorCode: 'CALL_REJECTED', reason: 'the number does not exist', finishedAt: new Date().toISOString() });
  await gw.ctx.queues.add('result-mail', { faxId, recipient: i });
  await waitUntil(`the result-mail job of ${faxId} recipient ${i}`, async () => {
    const j = await gw.ctx.queues.queue('notify').getJob(jobId('result-mail', { faxId, recipient: i }));
    return j && (await j.isCompleted()) ? j : undefined;
  }, 30_000);
}

const summaryJobs = async (faxId: string) => (await gw.ctx.queues.queue('notify').getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter((j) => j?.name === 'summary-mail' && j.data.faxId === faxId);
const summaries = (faxId: string) => sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && m.parsed.headers.get('x-faxgate-report') === 'broadcast-summary');

test('recipients ending one by one: no summary until the last, then one listing every outcome', async () => {
  const faxId = await createBroadcast(3);
  await end(faxId, 0, true);
  await end(faxId, 2, false);
  assert.deepEqual(await summaryJobs(faxId), [], 'two of three ended: no summary queued');
  await end(faxId, 1, true);
  const mail = await waitUntil('the summary mail', () => summaries(faxId)[0], 30_000);
  assert.match(mail.parsed.subject ?? '', /^Fax broadcast to 3 recipients: 2 sent, 1 FAILED/);
  for (const i of [0, 1, 2]) assert.match(mail.parsed.text ?? '', new RegExp(`\\${numberOf(i)}: ${i === 2 ? 'FAILED' : 'sent'}`));
  const view = await gw.ctx.records.view(faxId);
  assert.ok(view?.recipients.every((r) => r.reportedInSummary && r.resultMailSentAt));
});

test('outcomes seen before the per-fax hash existed (an older notifier, or the hash expired) still count', async () => {
  const faxId = await createBroadcast(3);
  await end(faxId, 0, true);
  await end(faxId, 1, true);
  // As if the notifier that ran those two jobs kept no hash.
  const keys = await probe.keys(`${gw.ctx.base.FAXGATE_QUEUE_PREFIX}:notify:ended:${faxId}`);
  assert.equal(keys.length, 1, 'the hash this test removes exists');
  await probe.del(keys[0]);
  await end(faxId, 2, true);
  const mail = await waitUntil('the summary mail', () => summaries(faxId)[0], 30_000);
  assert.match(mail.parsed.subject ?? '', /^Fax broadcast to 3 recipients: 3 sent/);
});

test('a job that died after counting the last outcome but before its check queues the summary when it runs again', async () => {
  const faxId = await createBroadcast(2);
  await end(faxId, 0, true);
  await gw.ctx.records.incrementRecipient(faxId, 1, 'attempts');
  await gw.ctx.records.updateRecipient(faxId, 1, { state: 'sent', result: 'success', pagesTotal: 1, pagesSent: 1, finishedAt: new Date().toISOString() });
  // What the dying job did: its outcome counted (every recipient seen), then nothing.
  const mark = await new BroadcastEnd(probe, gw.ctx.base.FAXGATE_QUEUE_PREFIX).seen(faxId, 1, 1, async () => []);
  assert.deepEqual(mark, { isNew: true, seen: 2 });
  await gw.ctx.queues.add('result-mail', { faxId, recipient: 1 });
  const mail = await waitUntil('the summary mail', () => summaries(faxId)[0], 30_000);
  assert.match(mail.parsed.subject ?? '', /^Fax broadcast to 2 recipients: 2 sent/);
});

test('a recipient reopened after the summary and ended again makes a new summary', async () => {
  const faxId = await createBroadcast(2);
  await end(faxId, 0, true);
  await end(faxId, 1, false);
  await waitUntil('the first summary', () => summaries(faxId)[0], 30_000);
  await reopenRecipient(gw.ctx, faxId, 1, 'test: retried by an operator');
  await end(faxId, 1, true);
  const second = await waitUntil('a second summary', () => summaries(faxId)[1], 30_000);
  assert.match(second.parsed.subject ?? '', /^Fax broadcast to 2 recipients: 2 sent/);
  assert.equal(summaries(faxId).length, 2);
});
