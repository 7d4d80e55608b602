import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacingSchedule, RtpPacedSender } from './rtp-pacer.ts';

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

/**
 * Counts the turns of the event loop (a setImmediate that queues itself runs once per turn),
 * so that work can be attributed to the turn it ran in.
 */
function turnCounter() {
  const c = { turn: 0, running: true };
  const tick = () => {
    if (!c.running) return;
    c.turn++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return c;
}

test('20 senders due together, each packet 0.5 ms of work: no turn of the event loop runs more than a few ms of them, and every packet goes out on its grid', { timeout: 60_000 }, async () => {
  const SENDERS = 20;
  const PACKETS = 40;
  const WORK_MS = 0.5;
  const sentAt: number[][] = [];
  const senders: RtpPacedSender[] = [];
  const starts: number[] = [];
  /** Packets made in each turn of the loop. */
  const perTurn = new Map<number, number>();
  const turns = turnCounter();
  for (let k = 0; k < SENDERS; k++) {
    const times: number[] = [];
    sentAt.push(times);
    let made = 0;
    const s = new RtpPacedSender({
      send: () => times.push(performance.now()),
      next: () => {
        if (made === PACKETS) return undefined;
        made++;
        perTurn.set(turns.turn, (perTurn.get(turns.turn) ?? 0) + 1);
        // A modem end's 20 ms of receive and transmit, made heavy: 20 of these are 10 ms.
        const end = performance.now() + WORK_MS;
        while (performance.now() < end);
        return new Uint8Array(172);
      },
    });
    senders.push(s);
    starts.push(performance.now());
    s.start();
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(senders.map((s) => s.done)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`senders not done after 45 s: ${senders.map((s) => s.sent).join(' ')} packets sent`)), 45_000))),
    ]);
  } finally {
    clearTimeout(timer);
    turns.running = false;
    for (const s of senders) s.stop();
  }
  for (let k = 0; k < SENDERS; k++) {
    assert.equal(sentAt[k].length, PACKETS, `sender ${k} sent ${sentAt[k].length}`);
    // Packet i is due 20·i ms after the sender's start, which is at or after starts[k].
    for (let i = 0; i < PACKETS; i++) assert.ok(sentAt[k][i] >= starts[k] + 20 * i - 0.01, `sender ${k} packet ${i} sent ${(sentAt[k][i] - starts[k] - 20 * i).toFixed(2)} ms before it was due`);
  }
  // The clock stops a turn's work once 3 ms have passed: at most 6 packets of 0.5 ms and the
  // one under way. Without it all 20 timers fire in one turn (10 ms of work every 20 ms).
  const most = [...perTurn.values()].sort((a, b) => b - a);
  assert.ok(most[0] <= 7, `packets made per turn of the loop, most first: ${most.slice(0, 12).join(', ')} (${perTurn.size} turns with work)`);
});
