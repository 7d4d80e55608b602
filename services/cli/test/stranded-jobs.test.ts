// Issue 17: removing a job in Bull Board (or losing it) never strands a fax. The dispatch
// reconciler re-queues the job a record waits for, or fails the recipient with a result mail
// when that job failed for good.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { callQueueName } from '@faxgate/queue';
import { waitUntil } from '@faxgate/testkit';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

let g: TestGateway;
before(async () => {
  g = await startTestGateway({
    FAXGATE_SIM_OUTCOMES: '+1212555040*=busy:1',
    FAXGATE_RETRY_BUSY_DELAY: '4s',
    FAXGATE_RECONCILE_INTERVAL: '300ms',
  });
});
after(async () => {
  await g?.dispose();
});

async function send(to: string, subject: string): Promise<string> {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'sam@example.com', to, subject, text: 'x' });
  const id = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  assert.ok(id, info.response);
  return id;
}

test('a delayed retry removed from the queue (Bull Board "remove") is re-queued and the fax is sent', async () => {
  const faxId = await send('12125550400@fax.test', 'trashed retry');
  const calls = g.gw.ctx.queues.byName(callQueueName('sim'));
  const retryId = `call-${faxId}-r0-a2`;
  await waitUntil('the retry after busy to be queued', async () => (await calls.getJobState(retryId)) === 'delayed', 30_000);
  await calls.remove(retryId);
  assert.equal(await calls.getJobState(retryId), 'unknown');
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /sent/);
  assert.match(mail.parsed.text ?? '', /Attempts: +2/);
  const view = await getFax(g.gw, faxId);
  assert.ok(view.timeline.some((e: { event: string; detail?: string }) => e.event === 'job re-queued' && /place-call/.test(e.detail ?? '')), JSON.stringify(view.timeline));
});

test('a waiting render job removed from the queue (Bull Board "remove") is re-queued and the fax is sent', async () => {
  const render = g.gw.ctx.queues.queue('render');
  // Held, so the job is still waiting when it is removed.
  await render.pause();
  let faxId: string;
  try {
    faxId = await send('12125550440@fax.test', 'trashed render');
    await waitUntil('the render job to be queued', async () => (await render.getJobState(`render-${faxId}`)) !== 'unknown', 30_000);
    await render.remove(`render-${faxId}`);
  } finally {
    await render.resume();
  }
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}: fax ${JSON.stringify(await getFax(g.gw, faxId).catch((e) => String(e)))}`);
  });
  assert.match(mail.parsed.subject ?? '', /sent/);
  const view = await getFax(g.gw, faxId);
  assert.equal(view.recipients[0].state, 'sent');
  assert.ok(view.timeline.some((e: { event: string; detail?: string }) => e.event === 'job re-queued' && /render job was gone/.test(e.detail ?? '')), JSON.stringify(view.timeline));
});

test('a waiting call job removed from the queue (Bull Board "remove") is re-queued and the fax is sent once', async () => {
  const calls = g.gw.ctx.queues.byName(callQueueName('sim'));
  // Held, so the call is still waiting for a line when it is removed.
  await calls.pause();
  let faxId: string;
  try {
    faxId = await send('12125550450@fax.test', 'trashed call');
    await waitUntil('the call job to be queued', async () => (await calls.getJobState(`call-${faxId}-r0-a1`)) !== 'unknown', 30_000);
    await calls.remove(`call-${faxId}-r0-a1`);
  } finally {
    await calls.resume();
  }
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}: fax ${JSON.stringify(await getFax(g.gw, faxId).catch((e) => String(e)))}`);
  });
  assert.match(mail.parsed.subject ?? '', /sent/);
  assert.match(mail.parsed.text ?? '', /Attempts: +1/);
  const view = await getFax(g.gw, faxId);
  assert.ok(view.timeline.some((e: { event: string; detail?: string }) => e.event === 'job re-queued' && /place-call/.test(e.detail ?? '')), JSON.stringify(view.timeline));
});

test('a call job that failed for good fails its recipient with a result mail; Retry in Bull Board then sends it', async () => {
  // Hold the line pool so the call cannot start before the document is gone.
  await g.gw.ctx.queues.byName(callQueueName('sim')).pause();
  const faxId = await send('12125550410@fax.test', 'document lost');
  let document: Buffer;
  let documentPath: string;
  try {
    await waitUntil('the fax to be rendered', async () => (await getFax(g.gw, faxId)).recipients[0].documentKey, 30_000);
    documentPath = `${g.dataDir}/${(await getFax(g.gw, faxId)).recipients[0].documentKey}`;
    document = await readFile(documentPath);
    await rm(documentPath);
  } finally {
    await g.gw.ctx.queues.byName(callQueueName('sim')).resume();
  }
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /FAILED/);
  const view = await getFax(g.gw, faxId);
  assert.equal(view.recipients[0].state, 'failed');
  assert.equal(view.recipients[0].errorCode, 'JOB_FAILED');
  assert.equal(view.state, 'failed');

  // The operator puts the document back and presses "Retry" on the failed job in Bull Board.
  await writeFile(documentPath!, document!);
  const job = await g.gw.ctx.queues.byName(callQueueName('sim')).getJob(`call-${faxId}-r0-a1`);
  assert.ok(job, 'the failed call job is kept for the operator');
  await job.retry();
  const second = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && m !== mail, 30_000);
  assert.match(second.parsed.subject ?? '', /sent/);
  const after = await getFax(g.gw, faxId);
  assert.equal(after.recipients[0].state, 'sent');
  assert.equal(after.recipients[0].errorCode, undefined);
  assert.equal(after.state, 'done');
});

test('a render job that failed for good fails the fax with a failure mail; Retry in Bull Board then renders and sends it', async () => {
  const render = g.gw.ctx.queues.queue('render');
  // Hold rendering so the stored message can be taken away before the render job runs.
  await render.pause();
  const faxId = await send('12125550420@fax.test', 'message lost before render');
  let message: Buffer;
  let messagePath: string;
  try {
    messagePath = `${g.dataDir}/${(await getFax(g.gw, faxId)).messageKey}`;
    message = await readFile(messagePath);
    await rm(messagePath);
  } finally {
    await render.resume();
  }
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
  assert.match(mail.parsed.subject ?? '', /FAILED/);
  const failed = await getFax(g.gw, faxId);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.recipients[0].state, 'failed');

  // The operator puts the message back and presses "Retry" on the failed render job.
  await writeFile(messagePath!, message!);
  const job = await render.getJob(`render-${faxId}`);
  assert.ok(job, 'the failed render job is kept for the operator');
  assert.equal(await job.getState(), 'failed');
  await job.retry();
  const second = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && m !== mail, 60_000);
  assert.match(second.parsed.subject ?? '', /sent/);
  const after = await getFax(g.gw, faxId);
  assert.equal(after.state, 'done');
  assert.equal(after.error, undefined);
  assert.equal(after.recipients[0].state, 'sent');
  assert.equal(after.recipients[0].errorCode, undefined);
  assert.ok(after.timeline.some((e: { event: string }) => e.event === 'reopened'), 'the timeline shows the retry');
});

test('a scheduling job that failed for good fails its recipient with a failure mail; Retry in Bull Board then sends it', async () => {
  const dispatch = g.gw.ctx.queues.queue('dispatch');
  const prefix = g.gw.ctx.base.FAXGATE_QUEUE_PREFIX;
  const redis = g.gw.ctx.redis;
  // Hold scheduling, then take the recipient's record away: its scheduling job finds no record
  // (RECORD_MISSING) and fails for good, as one damaged by hand or by an older release would.
  await dispatch.pause();
  const faxId = await send('12125550430@fax.test', 'record damaged before scheduling');
  const key = `${prefix}:rec:fax:${faxId}:r:0`;
  let saved: Record<string, string> = {};
  try {
    await waitUntil('the fax to be rendered', async () => (await getFax(g.gw, faxId)).recipients[0]?.documentKey, 30_000);
    saved = await redis.hgetall(key);
    await redis.del(key);
  } finally {
    await dispatch.resume();
  }
  const job = await waitUntil('the scheduling job to fail for good', async () => {
    const j = await dispatch.getJob(`schedule-${faxId}-r0`);
    return j && (await j.getState()) === 'failed' ? j : undefined;
  }, 30_000).catch(async (err) => {
    const j = await dispatch.getJob(`schedule-${faxId}-r0`);
    throw new Error(`${(err as Error).message}: job ${j ? `${await j.getState()} ${j.failedReason ?? ''} attempts ${j.attemptsMade}` : 'gone'}; record ${JSON.stringify(await redis.hgetall(key))}; fax ${JSON.stringify(await getFax(g.gw, faxId).catch((e) => String(e)))}`);
  });
  assert.match(job.failedReason, /record/i);
  // The operator repairs the record; the reconciler finds the failed job and tells the sender.
  await redis.hset(key, saved);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /FAILED/);
  assert.equal((await getFax(g.gw, faxId)).recipients[0].errorCode, 'JOB_FAILED');

  await job.retry();
  const second = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && m !== mail, 30_000);
  assert.match(second.parsed.subject ?? '', /sent/);
  const after = await getFax(g.gw, faxId);
  assert.equal(after.state, 'done');
  assert.equal(after.recipients[0].state, 'sent');
});
