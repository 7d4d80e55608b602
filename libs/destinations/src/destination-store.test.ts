import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { Destinations, applyObservation, refusalOf, startRateFor, DestinationGate, type DestinationPolicy, type DestinationRecord } from './index.ts';

const policy: DestinationPolicy = { maxFailures: 3, failureWindowMs: 3_600_000, holdMs: 7_200_000 };
const empty = (number: string): DestinationRecord => ({ number, calls: 0, consecutiveFailures: 0, failureTimes: [] });

test('three failed calls within the window hold the number, a success forgets the failures', () => {
  let d = empty('+12125550100');
  const at = (min: number) => new Date(Date.UTC(2026, 11, 6, 5, min)).toISOString();
  d = applyObservation(d, { callId: 'a', result: 'no-answer', at: at(0) }, policy);
  d = applyObservation(d, { callId: 'b', result: 'busy', at: at(5) }, policy);
  d = applyObservation(d, { callId: 'c', result: 'failed', at: at(10) }, policy);
  assert.equal(d.consecutiveFailures, 2, 'busy is not a failure: the machine is there');
  assert.equal(refusalOf(d, Date.parse(at(11))), undefined);
  d = applyObservation(d, { callId: 'd', result: 'no-carrier', at: at(20) }, policy);
  const r = refusalOf(d, Date.parse(at(21)));
  assert.equal(r?.code, 'DESTINATION_HELD');
  assert.match(r!.detail, /3 failed calls to this number between 2026-12-06T05:00:00.000Z and 2026-12-06T05:20:00.000Z; not dialled before 2026-12-06T07:20:00.000Z/);
  assert.equal(refusalOf(d, Date.parse(at(20)) + policy.holdMs + 1), undefined, 'the hold ends');
  d = applyObservation(d, { callId: 'e', result: 'success', at: at(30), pagesSent: 2, remote: { csi: ' +1 212 555 0100 ', speed: 9600, dis: { rates: [2400, 4800, 7200, 9600], ecm: false } } }, policy);
  assert.equal(d.consecutiveFailures, 0);
  assert.equal(d.heldUntil, undefined);
  assert.equal(d.csi, '+1 212 555 0100');
  assert.equal(d.lastGoodSpeed, 9600);
  assert.deepEqual(d.dis?.rates, [2400, 4800, 7200, 9600]);
});

test('failures spread wider than the window do not hold the number', () => {
  let d = empty('+12125550101');
  for (const [i, h] of [0, 2, 4].entries()) d = applyObservation(d, { callId: `x${i}`, result: 'failed', at: new Date(Date.UTC(2026, 0, 1, h)).toISOString() }, policy);
  assert.equal(d.consecutiveFailures, 3);
  assert.equal(d.heldUntil, undefined);
});

test('a call answered without a fax tone holds the number at once; training failures and ECM trouble are counted', () => {
  let d = applyObservation(empty('+12125550102'), { callId: 'v', result: 'no-carrier', at: '2026-12-06T05:00:00.000Z', remote: { noFaxTone: true } }, policy);
  assert.match(refusalOf(d, Date.parse('2026-12-06T05:01:00.000Z'))!.detail, /without a fax tone/);
  d = applyObservation(d, { callId: 't', result: 'success', at: '2026-12-06T06:00:00.000Z', pagesSent: 1, remote: { speed: 7200, trainingFailures: [14400, 9600], ecmTrouble: true } }, policy);
  d = applyObservation(d, { callId: 't2', result: 'success', at: '2026-12-06T06:10:00.000Z', pagesSent: 1, remote: { speed: 9600, trainingFailures: [14400] } }, policy);
  assert.deepEqual(d.trainingFailures, { 14400: 2, 9600: 1 });
  assert.equal(d.ecmTrouble, 1);
  assert.equal(d.lastGoodSpeed, 9600);
});

test('the next call starts at the last good rate when faster ones were refused, at the top otherwise', () => {
  const base = empty('+12125550108');
  assert.equal(startRateFor(undefined), undefined);
  assert.equal(startRateFor({ ...base, lastGoodSpeed: 14400 }), undefined);
  assert.equal(startRateFor({ ...base, lastGoodSpeed: 9600, trainingFailures: { 14400: 2 } }), 9600);
  assert.equal(startRateFor({ ...base, lastGoodSpeed: 14400, trainingFailures: { 9600: 1 } }), undefined, 'a slower failure says nothing about starting lower');
});

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

test('the Redis store learns each call once, lists, blocks, unblocks and forgets', async () => {
  const dest = new Destinations(client, `test-${randomUUID()}`);
  const n = '+12125550103';
  const call = { callId: 'fx1-r0-a1', result: 'failed' as const, at: new Date().toISOString() };
  assert.ok(await dest.learn(n, call, policy));
  assert.equal(await dest.learn(n, call, policy), undefined, 'the same call again is not counted twice');
  assert.equal((await dest.get(n))?.consecutiveFailures, 1);
  await dest.learn('+12125550104', { callId: 'fx2-r0-a1', result: 'success', at: new Date(Date.now() + 1000).toISOString() }, policy);
  assert.deepEqual((await dest.list()).map((d) => d.number), ['+12125550104', n]);
  await dest.block(n, 'admin', 'complaint from the owner');
  const r = await dest.refusal(n);
  assert.equal(r?.code, 'DESTINATION_BLOCKED');
  assert.match(r!.detail, /blocked by admin at .*: complaint from the owner/);
  await dest.unblock(n);
  assert.equal(await dest.refusal(n), undefined);
  assert.equal((await dest.get(n))?.calls, 1, 'unblocking keeps what was learned');
  assert.equal(await dest.forget(n), true);
  assert.equal(await dest.get(n), undefined);
  assert.equal(await dest.forget(n), false);
});

test('the gate lets at most N calls hold a number, and a lease that is not renewed frees itself', async () => {
  const gate = new DestinationGate(client, `test-${randomUUID()}`);
  const n = '+12125550105';
  assert.equal(await gate.acquire(n, 'c1', 1, 60_000), true);
  assert.equal(await gate.acquire(n, 'c2', 1, 60_000), false);
  assert.equal(await gate.acquire(n, 'c1', 1, 60_000), true, 'the holder may take its slot again');
  assert.equal(await gate.acquire('+12125550106', 'c3', 1, 60_000), true, 'other numbers are not affected');
  await gate.release(n, 'c1');
  assert.equal(await gate.acquire(n, 'c2', 1, 60_000), true);
  assert.equal(await gate.acquire(n, 'c4', 2, 60_000), true, 'a limit of two lets a second call in');
  const m = '+12125550107';
  assert.equal(await gate.acquire(m, 'dead', 1, 300), true);
  assert.equal(await gate.acquire(m, 'next', 1, 300), false);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await gate.acquire(m, 'next', 1, 60_000), true, 'a node that died stops holding the number');
  assert.deepEqual(await gate.holders(m), ['next']);
});

test('a call renewed past twice its lease keeps its number: the slot set does not expire under it', async () => {
  const gate = new DestinationGate(client, `test-${randomUUID()}`);
  const n = '+12125550108';
  // A long fax renews every third of its lease; the set's own expiry must follow the renewals,
  // or the number frees itself after twice the lease whatever the call does.
  assert.equal(await gate.acquire(n, 'long', 1, 300), true);
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await gate.renew(n, 'long', 300);
  }
  assert.deepEqual(await gate.holders(n), ['long'], 'the call still holds its number after 800 ms of renewals');
  assert.equal(await gate.acquire(n, 'second', 1, 300), false, 'a second call to the number is still refused');
  // A short lease taken beside a long one does not cut the long one's expiry.
  const m = '+12125550109';
  assert.equal(await gate.acquire(m, 'long', 2, 2_000), true);
  assert.equal(await gate.acquire(m, 'short', 2, 100), true);
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(await gate.holders(m), ['long']);
});

test('hold takes a number for a call already on the line, whatever the limit, and renews like acquire', async () => {
  const gate = new DestinationGate(client, `test-${randomUUID()}`);
  const n = '+12125550110';
  assert.equal(await gate.acquire(n, 'other', 1, 60_000), true);
  const before = Date.now();
  await gate.hold(n, 'followed', 60_000);
  const until = await gate.leaseEnd(n, 'followed');
  assert.ok(until !== undefined && until >= before + 60_000 && until <= Date.now() + 60_000, `the hold's lease ends a lease from now: ${until}`);
  assert.equal(await gate.leaseEnd(n, 'nobody'), undefined);
  assert.deepEqual((await gate.holders(n)).sort(), ['followed', 'other'], 'counted beside the call that took the number meanwhile');
  await gate.release(n, 'other');
  assert.equal(await gate.acquire(n, 'next', 1, 60_000), false, 'the followed call keeps the number');
  await gate.release(n, 'followed');
  assert.equal(await gate.acquire(n, 'next', 1, 60_000), true);
});
