import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis, newInboundId } from '@faxgate/queue';
import { InboundRecords, type DeliveryRecord } from '../src/index.ts';

let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

test('an inbound record is created once, routed once, and its fallback delivery is added once', async () => {
  const client = createRedis(redis.url, 'background');
  try {
    const records = new InboundRecords(client, `test-${randomUUID()}`);
    const id = newInboundId();
    const base = { id, state: 'offered' as const, createdAt: new Date().toISOString(), did: '+12125550100', callingNumber: '+14155550123', pool: 'sim', pages: 0, badRows: 0, partial: false, durationMs: 0, deliveryCount: 0 };
    assert.equal(await records.create(base), true);
    assert.equal(await records.create({ ...base, did: '999' }), false, 'a second create is refused');
    assert.equal((await records.get(id))?.did, '+12125550100');

    const d = (index: number, to: string): DeliveryRecord => ({ index, to: [to], format: 'pdf', state: 'pending', attempts: 0 });
    const route = { rule: 'did' as const, detail: 'DID +12125550100', user: 'jdoe' };
    assert.equal(await records.setRoute(id, route, [d(0, 'a@example.com'), d(1, 'b@example.com')], new Date().toISOString()), true);
    assert.equal(await records.setRoute(id, { ...route, user: 'other' }, [d(0, 'x@example.com')], new Date().toISOString()), false);

    const makeFallback = (index: number): DeliveryRecord => ({ ...d(index, 'fax-admin@example.com'), fallbackFor: 1 });
    const [f1, f2] = await Promise.all([records.addFallbackDelivery(id, 1, makeFallback), records.addFallbackDelivery(id, 1, makeFallback)]);
    assert.equal(f1, f2, 'two last tries racing add one fallback');
    await records.updateDelivery(id, 0, { state: 'sent', attempts: 1 });

    const view = await records.view(id);
    assert.ok(view);
    assert.equal(view.route?.user, 'jdoe');
    assert.deepEqual(view.deliveries.map((x) => [x.index, x.to[0], x.state]), [[0, 'a@example.com', 'sent'], [1, 'b@example.com', 'pending'], [f1, 'fax-admin@example.com', 'pending']]);
    assert.equal(view.timeline[0].event, 'offered');
    assert.deepEqual(await records.recent(), [id]);
  } finally {
    await client.quit();
  }
});

test('received-fax records share the codec: an undefined field is removed, others stay', async () => {
  const client = createRedis(redis.url, 'background');
  try {
    const records = new InboundRecords(client, `test-${randomUUID()}`);
    const id = newInboundId();
    await records.create({ id, state: 'offered', createdAt: new Date().toISOString(), did: '+12125550100', callingNumber: '+14155550123', pool: 'sim', pages: 0, badRows: 0, partial: false, durationMs: 0, deliveryCount: 0 });
    await records.update(id, { state: 'failed', reason: 'line dropped' });
    await records.update(id, { state: 'received', reason: undefined, pages: 2 });
    const rec = await records.get(id);
    assert.equal(rec?.state, 'received');
    assert.equal(rec?.pages, 2);
    assert.equal(rec && 'reason' in rec, false);
    assert.equal(rec?.did, '+12125550100');
  } finally {
    await client.quit();
  }
});
