// Destinations.learn is a compare-and-set (issue 18: two round trips instead of four, no WATCH on
// a shared connection). These tests race it on one connection, as dispatch's jobs share one.
// Twelve at once: each round of reads lets at least one write, and learn() tries 20 rounds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { Destinations, type DestinationPolicy } from './index.ts';

const policy: DestinationPolicy = { maxFailures: 0, failureWindowMs: 3_600_000, holdMs: 7_200_000 };

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

test('calls to one number learned at the same moment are each counted: none overwrites another', async () => {
  const dest = new Destinations(client, `test-${randomUUID()}`);
  const n = '+12125550200';
  const at = new Date().toISOString();
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => dest.learn(n, { callId: `race-${i}`, result: 'failed', at }, policy)));
  assert.equal(results.filter((r) => r !== undefined).length, 12, 'each call was learned by its own learn()');
  const d = await dest.get(n);
  assert.equal(d?.calls, 12, `every call counted once: ${JSON.stringify(d)}`);
  assert.equal(d?.consecutiveFailures, 12);
  assert.deepEqual(await dest.list(), [d], 'the number is listed');
});

test('one call learned twice at the same moment (an outcome job and its re-run) counts once', async () => {
  const dest = new Destinations(client, `test-${randomUUID()}`);
  const n = '+12125550201';
  const call = { callId: 'twice-r0-a1', result: 'success' as const, at: new Date().toISOString(), pagesSent: 1 };
  const results = await Promise.all([dest.learn(n, call, policy), dest.learn(n, call, policy), dest.learn(n, call, policy)]);
  assert.equal(results.filter((r) => r !== undefined).length, 1, `one learn() wins: ${JSON.stringify(results)}`);
  assert.equal((await dest.get(n))?.calls, 1);
  assert.equal(await dest.learn(n, call, policy), undefined, 'and later re-runs learn nothing');
});

test('an admin block made while calls are learned stays: learning never writes over a record it did not read', async () => {
  const dest = new Destinations(client, `test-${randomUUID()}`);
  const n = '+12125550202';
  const at = new Date().toISOString();
  const learning = Array.from({ length: 10 }, (_, i) => dest.learn(n, { callId: `b-${i}`, result: 'busy', at }, policy));
  const blocked = dest.block(n, 'admin', 'complaint');
  await Promise.all([...learning, blocked]);
  const d = await dest.get(n);
  assert.equal(d?.blocked?.by, 'admin', `the block survived: ${JSON.stringify(d)}`);
  assert.equal(d?.calls, 10, 'and so did every call');
});
