import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNothingFor, waitUntil } from '../src/index.ts';

test('waitUntil returns the value once the check holds, and names what it waited for when it never does', async () => {
  let n = 0;
  assert.equal(await waitUntil('n to reach 3', () => (++n >= 3 ? n : undefined), 1_000, 5), 3);
  await assert.rejects(waitUntil('the moon to turn blue', () => false, 100, 10), /timed out after 100 ms waiting for the moon to turn blue/);
});

test('assertNothingFor watches the whole window when nothing happens, and fails at once, saying what, when it does', async () => {
  const t0 = Date.now();
  await assertNothingFor('a second mail', () => false, 200, 20);
  assert.ok(Date.now() - t0 >= 200, 'the window was watched to its end');
  const t1 = Date.now();
  let polls = 0;
  await assert.rejects(assertNothingFor('a second mail', () => ++polls >= 2 && { mails: 2 }, 5_000, 20), /a second mail happened within 5000 ms: \{"mails":2\}/);
  assert.ok(Date.now() - t1 < 1_000, 'it failed as soon as the thing happened');
});
