import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from './auth-throttle.ts';

test('failures slow the answers down, then lock the address out for the lock-out time', () => {
  let now = 1_000_000;
  const t = new AuthThrottle({ maxFailures: 4, lockoutMs: 60_000, stepMs: 500, maxDelayMs: 1_200, now: () => now });
  assert.equal(t.delayFor('10.0.0.1'), 0);
  assert.equal(t.fail('10.0.0.1'), false);
  assert.equal(t.delayFor('10.0.0.1'), 0);
  t.fail('10.0.0.1');
  assert.equal(t.delayFor('10.0.0.1'), 500);
  t.fail('10.0.0.1');
  assert.equal(t.delayFor('10.0.0.1'), 1_000);
  assert.equal(t.lockedFor('10.0.0.1'), 0);
  assert.equal(t.fail('10.0.0.1'), true);
  assert.equal(t.delayFor('10.0.0.1'), 1_200, 'capped');
  assert.equal(t.lockedFor('10.0.0.1'), 60_000);
  assert.equal(t.lockedFor('10.0.0.2'), 0, 'another address is not affected');
  t.succeed('10.0.0.1');
  assert.equal(t.lockedFor('10.0.0.1'), 60_000, 'a good password does not lift a lock-out');
  now += 60_001;
  assert.equal(t.lockedFor('10.0.0.1'), 0);
  assert.equal(t.delayFor('10.0.0.1'), 0, 'the count starts again after a lock-out');
});

test('a success clears the failures; old failures are forgotten; memory is bounded', () => {
  let now = 0;
  const t = new AuthThrottle({ maxFailures: 3, lockoutMs: 10_000, maxAddresses: 2, now: () => now });
  t.fail('a');
  t.fail('a');
  t.succeed('a');
  assert.equal(t.fail('a'), false);
  assert.equal(t.fail('a'), false);
  now += 10_001;
  assert.equal(t.fail('a'), false, 'failures older than the lock-out time are forgotten');
  t.fail('b');
  t.fail('c');
  assert.equal(t.delayFor('a'), 0, 'the oldest address was forgotten when a third came');
});
