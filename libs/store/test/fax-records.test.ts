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
