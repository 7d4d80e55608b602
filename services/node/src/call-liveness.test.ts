import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { CallLiveness } from './call-liveness.ts';

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

test('a call is alive while its run renews the mark, and not once it clears it or stops renewing', async () => {
  const live = new CallLiveness(client, `test-${randomUUID()}`);
  const callId = 'fax-1-r0-a1';
  assert.equal(await live.alive(callId), false, 'never marked');
  const run = CallLiveness.token();
  await live.mark(callId, run, 300);
  assert.equal(await live.alive(callId), true);
  // Renewed before it lapses, it outlives its first TTL.
  await sleep(200);
  assert.equal(await live.renew(callId, run, 300), true);
  await sleep(200);
  assert.equal(await live.alive(callId), true, 'renewed: alive past the first TTL');
  await live.clear(callId, run);
  assert.equal(await live.alive(callId), false, 'cleared when the run ended');
  // A run that stops renewing (its node died) lapses within the TTL.
  await live.mark(callId, run, 150);
  await sleep(400);
  assert.equal(await live.alive(callId), false, 'lapsed');
  assert.equal(await live.renew(callId, run, 150), false, 'a lapsed mark is not brought back by a late renewal');
});

test('a run that ends late neither renews nor clears a later run\'s mark', async () => {
  const live = new CallLiveness(client, `test-${randomUUID()}`);
  const callId = 'fax-2-r0-a1';
  const late = CallLiveness.token();
  const later = CallLiveness.token();
  await live.mark(callId, later, 10_000);
  assert.equal(await live.renew(callId, late, 10_000), false);
  await live.clear(callId, late);
  assert.equal(await live.alive(callId), true, 'the later run\'s mark stays');
  assert.equal(await client.get(live.key(callId)), later);
});

test('a run that keeps the call alive renews it past its TTL, and its end clears it', async () => {
  const live = new CallLiveness(client, `test-${randomUUID()}`);
  const callId = 'fax-3-r0-a1';
  const kept = await live.keep(callId, 300, 75);
  await sleep(700);
  assert.equal(await live.alive(callId), true, 'renewed while kept');
  await kept.end();
  assert.equal(await live.alive(callId), false, 'cleared at its end');
  await sleep(200);
  assert.equal(await live.alive(callId), false, 'not renewed after its end');
  await kept.end();
});
