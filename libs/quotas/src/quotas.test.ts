import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { DestinationQuota, PageQuota, UsageLedger } from './index.ts';

let redis: TestRedis;
let client: Redis;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
after(async () => {
  client.disconnect();
  await redis.dispose();
});
const prefix = () => `test-${randomUUID()}`;

test('destinations per hour: a sender passes its limit of distinct numbers, a number already dialled is still admitted, the hour slides', async () => {
  const q = new DestinationQuota(client, prefix(), { senderDestinationsPerHour: 2, domainDestinationsPerHour: 3 });
  const t0 = Date.UTC(2026, 11, 6, 10);
  assert.deepEqual(await q.admit('Mallory@Example.com', '+12125550001', t0), { ok: true });
  assert.deepEqual(await q.admit('mallory@example.com', '+12125550002', t0 + 1000), { ok: true });
  const refused = await q.admit('mallory@example.com', '+12125550003', t0 + 2000);
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.scope === 'sender' && refused.used === 2 && refused.limit === 2, JSON.stringify(refused));
  assert.deepEqual(await q.admit('mallory@example.com', '+12125550001', t0 + 3000), { ok: true }, 'a number faxed within the hour is not a new destination');
  // Another sender of the domain: the domain's limit (3) is reached at its second new number.
  assert.deepEqual(await q.admit('eve@example.com', '+12125550009', t0 + 4000), { ok: true });
  const domain = await q.admit('eve@example.com', '+12125550010', t0 + 5000);
  assert.ok(!domain.ok && domain.scope === 'domain' && domain.who === 'example.com', JSON.stringify(domain));
  // An hour after the first two, they no longer count.
  assert.deepEqual(await q.admit('mallory@example.com', '+12125550003', t0 + 3_600_000 + 3001), { ok: true });
});

test('pages per day: refused past the limit; the same reservation is not counted twice; a new UTC day starts afresh', async () => {
  const q = new PageQuota(client, prefix(), { senderPagesPerDay: 10, domainPagesPerDay: 0 });
  const t0 = Date.UTC(2026, 11, 6, 23, 0);
  assert.deepEqual(await q.reserve('bob@example.com', 6, 'fx1-r0', t0), { ok: true });
  assert.deepEqual(await q.reserve('bob@example.com', 6, 'fx1-r0', t0), { ok: true }, 'a retried reservation');
  const refused = await q.reserve('bob@example.com', 5, 'fx2-r0', t0);
  assert.ok(!refused.ok && refused.used === 6 && /6 of 10 pages today/.test(refused.detail), JSON.stringify(refused));
  assert.deepEqual(await q.reserve('bob@example.com', 4, 'fx3-r0', t0), { ok: true }, 'exactly the limit is allowed');
  assert.deepEqual(await q.reserve('bob@example.com', 5, 'fx2-r0', t0 + 3_600_000), { ok: true }, 'the next UTC day');
});

test('usage: pages and line time per sender and domain, per day and month, each outcome counted once', async () => {
  const u = new UsageLedger(client, prefix());
  const at = Date.UTC(2026, 11, 6, 12);
  assert.equal(await u.record({ sender: 'Alice@Clinic.test', pages: 3, lineMs: 61_000, at, key: 'fx1-r0-a1' }), true);
  assert.equal(await u.record({ sender: 'alice@clinic.test', pages: 3, lineMs: 61_000, at, key: 'fx1-r0-a1' }), false, 'the same outcome again');
  await u.record({ sender: 'bob@clinic.test', pages: 2, lineMs: 40_000, at: Date.UTC(2026, 11, 7, 9), key: 'fx2-r0-a2' });
  await u.record({ sender: 'carol@other.test', pages: 1, lineMs: 20_000, at: Date.UTC(2026, 10, 30, 9), key: 'fx3-r0-a1' });
  assert.deepEqual(await u.totals('2026-12'), [
    { scope: 'domain', name: 'clinic.test', faxes: 2, pages: 5, lineMs: 101_000 },
    { scope: 'sender', name: 'alice@clinic.test', faxes: 1, pages: 3, lineMs: 61_000 },
    { scope: 'sender', name: 'bob@clinic.test', faxes: 1, pages: 2, lineMs: 40_000 },
  ]);
  assert.deepEqual((await u.totals('2026-12', { sender: 'bob@clinic.test' })).map((r) => r.name), ['clinic.test', 'bob@clinic.test']);
  assert.deepEqual((await u.days('2026-12', { sender: 'alice@clinic.test' })).map((d) => d.day), ['2026-12-06']);
  assert.deepEqual((await u.totals('2026-11')).map((r) => r.name), ['other.test', 'carol@other.test']);
  await assert.rejects(u.totals('Dec 2026'), /not a month/);
});
