import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis } from '@faxgate/queue';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { BatchClaims, callIdOf, type WaitingCall } from '../src/batch-claims.ts';

let redis: TestRedis;
let a: Redis;
let b: Redis;
before(async () => {
  redis = await startRedis();
  a = createRedis(redis.url, 'background');
  b = createRedis(redis.url, 'background');
});
after(async () => {
  a.disconnect();
  b.disconnect();
  await redis.dispose();
});

const fax = (i: number): WaitingCall => ({ faxId: `fx${String(i).padStart(12, '0')}`, recipient: 0, attempt: 1, fromPage: 1 });

test('two calls claiming the same waiting faxes at once (two nodes): each fax is in exactly one of them, and a fax claimed by a call cannot claim itself', async () => {
  const prefix = `test-${randomUUID()}`;
  const number = '+12125550100';
  const waiting = Array.from({ length: 40 }, (_, i) => fax(i + 1));
  const ca = new BatchClaims(a, prefix);
  const cb = new BatchClaims(b, prefix);
  for (const w of waiting) await ca.wait(number, w);
  assert.equal((await ca.waiting(number, 60_000)).length, 40);
  // Both leads see every waiting fax and claim them over separate connections at once.
  const [x, y] = await Promise.all([ca.claim(number, 'lead-a', waiting, 30_000), cb.claim(number, 'lead-b', [...waiting].reverse(), 30_000)]);
  const got = [...x, ...y].map(callIdOf).sort();
  assert.deepEqual(got, waiting.map(callIdOf).sort(), 'every fax claimed once');
  assert.deepEqual((await ca.members('lead-a')).map(callIdOf), x.map(callIdOf), 'the member list is what the call claimed');
  assert.equal((await ca.waiting(number, 60_000)).length, 0, 'claimed faxes no longer wait');
  for (const w of x) assert.equal(await cb.claimSelf(callIdOf(w), 30_000), 'lead-a');
  // Only the owner renews or gives back its claims.
  await cb.release('lead-b', x.map(callIdOf));
  assert.equal(await ca.owner(callIdOf(x[0] ?? y[0])), x.length ? 'lead-a' : 'lead-b');
  await ca.release('lead-a', x.map(callIdOf));
  for (const w of x) assert.equal(await ca.owner(callIdOf(w)), undefined);
  // Given back, a fax claims itself.
  if (x[0]) assert.equal(await ca.claimSelf(callIdOf(x[0]), 30_000), callIdOf(x[0]));
});

test('a claim lapses when its call stops renewing it (a node that died), so the fax can go alone', async () => {
  const prefix = `test-${randomUUID()}`;
  const c = new BatchClaims(a, prefix);
  const w = fax(1);
  await c.wait('+12125550101', w);
  assert.equal((await c.claim('+12125550101', 'lead', [w], 200)).length, 1);
  assert.equal(await c.owner(callIdOf(w)), 'lead');
  const deadline = Date.now() + 10_000;
  while ((await c.owner(callIdOf(w))) !== undefined) {
    assert.ok(Date.now() < deadline, 'the claim did not lapse within 10 s of a 200 ms lease');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await c.claimSelf(callIdOf(w), 30_000), callIdOf(w));
});
