import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLS_PER_WORKER, readyCalls, workerSlots } from './call-worker.ts';

test('a node\'s call jobs are split over workers of at most CALLS_PER_WORKER each, evenly, none lost', () => {
  for (const lines of [1, 3, 4, 8, 40, 41, 200, 250, 1000, 4000]) {
    const total = lines + readyCalls(lines);
    const slots = workerSlots(total);
    assert.equal(slots.reduce((a, b) => a + b, 0), total, `${lines} lines`);
    assert.ok(slots.every((s) => s >= 1 && s <= CALLS_PER_WORKER), `${lines} lines: ${slots}`);
    assert.ok(Math.max(...slots) - Math.min(...slots) <= 1, `${lines} lines: ${slots}`);
    assert.equal(slots.length, Math.ceil(total / CALLS_PER_WORKER), `${lines} lines: ${slots}`);
  }
  // Under four lines no call is kept ready, so the first line to free takes the most urgent call.
  assert.deepEqual([1, 2, 3].map(readyCalls), [0, 0, 0]);
  // From four lines on, one call ready per line (a wave of lines freeing together starts at once), at most 1,000.
  assert.deepEqual([4, 200, 1000, 4000].map(readyCalls), [4, 200, 1000, 1000]);
});
