import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { assertNothingFor, startRedis, waitUntil } from '@faxgate/testkit';
import { RedisLeaderElector, createLeaderElector } from '../src/index.ts';

const KEY = 'fgtest:leader:poller';

test('Redis lock: one holder, takeover after the holder stops renewing, release on stop', async (t) => {
  const server = await startRedis();
  const ca = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: false });
  const cb = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const check = new Redis(server.url);
  t.after(async () => {
    ca.disconnect();
    cb.disconnect();
    check.disconnect();
    await server.dispose();
  });
  const timing = { leaseDurationMs: 2000, renewIntervalMs: 300, retryIntervalMs: 100 };
  const a = new RedisLeaderElector({ redis: ca, key: KEY, identity: 'node-a', timing });
  const b = new RedisLeaderElector({ redis: cb, key: KEY, identity: 'node-b', timing });
  await a.start();
  await b.start();
  assert.equal(a.isLeader, true);
  assert.equal(b.isLeader, false);
  assert.equal(await a.holder(), 'node-a');
  const ttl = await check.pttl(KEY);
  assert.ok(ttl > 0 && ttl <= 2000, `the lock carries the lease duration as its expiry (${ttl})`);

  // Renewing keeps the lock beyond its first expiry: 2.5 s outlast the 2 s lease.
  await assertNothingFor('a losing the lock, or b taking it, while a renews', () => (!a.isLeader || b.isLeader) && { a: a.isLeader, b: b.isLeader }, 2500);
  assert.equal(await a.holder(), 'node-a');

  // a loses its connection (a crashed or partitioned process): it steps down, b takes over once
  // the lock expires.
  ca.disconnect();
  const cutAt = Date.now();
  await waitUntil('b to take over', () => b.isLeader, 10_000);
  assert.ok(Date.now() - cutAt >= 1000, 'b waited for the lock to expire');
  assert.equal(a.isLeader, false);
  assert.equal(await b.holder(), 'node-b');

  // stop() deletes the lock at once (only because b still holds it).
  await b.stop();
  await a.stop();
  assert.equal(await check.exists(KEY), 0);
});

test('Redis lock: a holder whose lock was taken by another does not renew or delete it', async (t) => {
  const server = await startRedis();
  const c = new Redis(server.url);
  // node:test runs after-hooks first-registered first: the client goes before the server.
  t.after(async () => {
    c.disconnect();
    await server.dispose();
  });
  const a = new RedisLeaderElector({ redis: c, key: KEY, identity: 'node-a', timing: { leaseDurationMs: 30_000, renewIntervalMs: 100, retryIntervalMs: 100 } });
  await a.start();
  assert.equal(a.isLeader, true);
  // The lock expired while a was stalled and node-b took it.
  await c.set(KEY, 'node-b/0123456789ab', 'PX', 30_000);
  await waitUntil('a to notice', () => !a.isLeader, 5000);
  await a.stop();
  assert.equal(await c.get(KEY), 'node-b/0123456789ab', 'a left the other holder\'s lock alone');
});

test('createLeaderElector outside Kubernetes uses the Redis lock under the queue prefix', async (t) => {
  const server = await startRedis();
  const c = new Redis(server.url);
  // node:test runs after-hooks first-registered first: the client goes before the server.
  t.after(async () => {
    c.disconnect();
    await server.dispose();
  });
  const e = createLeaderElector({ name: 'poller', identity: 'solo', redis: c, redisPrefix: 'fgx', env: {} });
  assert.equal(e.kind, 'redis');
  await e.start();
  assert.equal(e.isLeader, true);
  assert.match((await c.get('fgx:leader:poller')) ?? '', /^solo\//);
  await e.stop();
  assert.equal(await c.exists('fgx:leader:poller'), 0);
});
