import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis, newFaxId } from '@faxgate/queue';
import { FaxRecords } from '../src/index.ts';

let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

test('a fax record survives a Redis restart (AOF) and claims are once-only', async () => {
  const client = createRedis(redis.url, 'background');
  const records = new FaxRecords(client, `test-${randomUUID()}`);
  const id = newFaxId();
  await records.create(
    { id, state: 'queued', createdAt: new Date().toISOString(), sender: 'a@example.com', messageKey: 'm', messageBytes: 10, recipientCount: 2 },
    [0, 1].map((index) => ({ index, address: `${index}@fax.localhost`, number: '+12125550100', dialString: '12125550100', state: 'waiting' as const, pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 })),
  );
  assert.equal(await records.incrementRecipient(id, 1, 'attempts'), 1);
  await records.updateAttempt(id, 1, 1, { attempt: 1, startedAt: 'now', fromPage: 1, result: 'busy' });
  assert.equal(await records.claimAttemptHandling(id, 1, 1, 'now'), true);
  assert.equal(await records.claimAttemptHandling(id, 1, 1, 'later'), false);
  await records.event(id, 'rendered', '3 pages');

  await redis.stop();
  await redis.start();

  const view = await records.view(id);
  assert.ok(view);
  assert.equal(view.recipients.length, 2);
  assert.equal(view.recipients[1].attempts, 1);
  assert.equal(view.recipients[1].attemptsDetail[0].result, 'busy');
  assert.deepEqual(view.timeline.map((e) => e.event), ['accepted', 'rendered']);
  assert.deepEqual(await records.recent(), [id]);
  client.disconnect();
});

test('an update that gives a field as undefined removes it; fields left out stay', async (t) => {
  const client = createRedis(redis.url, 'background');
  t.after(() => client.disconnect());
  const records = new FaxRecords(client, `test-${randomUUID()}`);
  const id = newFaxId();
  await records.create(
    { id, state: 'queued', createdAt: new Date().toISOString(), sender: 'a@example.com', messageKey: 'm', messageBytes: 10, recipientCount: 1 },
    [{ index: 0, address: '0@fax.localhost', number: '+12125550100', dialString: '12125550100', state: 'waiting', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 }],
  );
  await records.updateRecipient(id, 0, { state: 'retry-wait', nextAttemptAt: '2026-01-01T00:00:00.000Z', reason: 'the line was busy', result: 'busy' });
  await records.updateRecipient(id, 0, { state: 'sent', nextAttemptAt: undefined, reason: undefined, result: 'success' });
  const r = await records.getRecipient(id, 0);
  assert.ok(r);
  assert.equal(r.state, 'sent');
  assert.equal('nextAttemptAt' in r, false, 'the stale retry time is gone');
  assert.equal('reason' in r, false, 'the stale reason is gone');
  assert.equal(r.number, '+12125550100', 'fields not in the update are kept');
  assert.deepEqual(await records.openFaxes(Date.now()), [id]);
  await records.closeFax(id);
  assert.deepEqual(await records.openFaxes(Date.now()), []);
});

test('a change writes its attempt, recipient, fax fields and timeline lines in one MULTI, removing fields given as undefined; an empty change sends nothing', async (t) => {
  const client = createRedis(redis.url, 'background');
  t.after(() => client.disconnect());
  const records = new FaxRecords(client, `test-${randomUUID()}`);
  const id = newFaxId();
  await records.create(
    { id, state: 'rendered', createdAt: new Date().toISOString(), sender: 'a@example.com', messageKey: 'm', messageBytes: 10, recipientCount: 1 },
    [{ index: 0, address: '0@fax.localhost', number: '+12125550100', dialString: '12125550100', state: 'retry-wait', pagesSent: 0, attempts: 1, connectedAttempts: 0, durationMs: 0, nextAttemptAt: '2026-01-01T00:00:00.000Z' }],
  );
  const seen: string[] = [];
  const monitor = await client.monitor();
  t.after(() => monitor.disconnect());
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(String(args[0]).toLowerCase()));
  const change = records
    .change()
    .attempt(id, 0, 2, { attempt: 2, startedAt: '2026-01-01T00:01:00.000Z', fromPage: 1, line: 'sim/n/1', pagesSent: 0 })
    .recipient(id, 0, { state: 'calling', attempts: 2, nextAttemptAt: undefined })
    .fax(id, { schedule: { priority: 'normal' } })
    .event(id, 'dialing', '12125550100 on sim/n/1', 0);
  // Queued, not written: nothing is in Redis before exec().
  assert.equal((await records.getAttempt(id, 0, 2)), undefined);
  await change.exec();
  await records.change().exec();
  const a = await records.getAttempt(id, 0, 2);
  assert.equal(a?.line, 'sim/n/1');
  const r = await records.getRecipient(id, 0);
  assert.equal(r?.state, 'calling');
  assert.equal(r?.attempts, 2);
  assert.equal(r && 'nextAttemptAt' in r, false, 'the stale retry time is gone');
  assert.equal((await records.getFax(id))?.schedule?.priority, 'normal');
  const view = await records.view(id);
  assert.deepEqual(view?.timeline.map((e) => `${e.event}/${e.recipient ?? ''}`), ['accepted/', 'dialing/0']);
  // MONITOR shows each command as Redis runs it: the change's writes come between one MULTI and
  // its EXEC, and the empty change sent nothing after it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const writes = seen.filter((c) => c !== 'hgetall' && c !== 'lrange');
  assert.deepEqual(writes.slice(0, 1), ['multi'], `commands seen: ${seen.join(' ')}`);
  assert.equal(writes.filter((c) => c === 'multi').length, 1, `commands seen: ${seen.join(' ')}`);
  assert.equal(writes.filter((c) => c === 'exec').length, 1, `commands seen: ${seen.join(' ')}`);
  assert.ok(writes.indexOf('exec') > writes.lastIndexOf('xadd'), `commands seen: ${seen.join(' ')}`);
});
