import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacingSchedule } from './rtp-pacer.ts';

test('send times stay on the start + k·20 ms grid whatever the timers do', () => {
  const s = new PacingSchedule(1000);
  const sentAt: number[] = [];
  // Timers that fire 0–15 ms late, and one stall of 75 ms: the schedule catches up and the
  // k-th packet is never sent before its due time nor left behind once due.
  let now = 1000;
  const lateness = [3, 15, 0, 7, 75, 1, 12, 4, 9, 2, 0, 14];
  for (const late of lateness) {
    for (let n = s.due(now); n > 0; n--) {
      sentAt.push(now);
      s.markSent();
    }
    now = s.nextAt() + late;
  }
  for (let k = 0; k < sentAt.length; k++) {
    const due = 1000 + 20 * k;
    assert.ok(sentAt[k] >= due, `packet ${k} sent at ${sentAt[k]}, due ${due}`);
    assert.ok(sentAt[k] - due <= 75, `packet ${k} sent ${sentAt[k] - due} ms after due`);
  }
  // No drift: after the stall, packets are back on the grid.
  assert.ok(s.nextAt() === 1000 + 20 * s.count);
  assert.ok(sentAt.length >= 14, `${sentAt.length} packets`);
});

test('nothing is due before the start, one packet at the start', () => {
  const s = new PacingSchedule(500);
  assert.equal(s.due(499.9), 0);
  assert.equal(s.due(500), 1);
  assert.equal(s.due(559.9), 3);
});
