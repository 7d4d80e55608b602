import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V29Transmitter } from './v29-tx.ts';
import { V29Receiver } from './v29-rx.ts';
import { V29TrainingSequence, V29_PHASE_CHANGE, V29_TRIBIT_FOR_CHANGE } from './v29-constellation.ts';
import { V29Scrambler } from './scrambler.ts';

function prbs(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let r = seed;
  for (let i = 0; i < n; i++) {
    r = (r * 1103515245 + 12345) >>> 0;
    out[i] = (r >>> 16) & 1;
  }
  return out;
}

test('V.29 training segment 3 starts with the register 0101010 shifted out (C D C D C D C), then follows 1 + x^-6 + x^-7', () => {
  const t = new V29TrainingSequence();
  const bits = Array.from({ length: 30 }, () => t.next());
  assert.deepEqual(bits.slice(0, 7), [0, 1, 0, 1, 0, 1, 0]);
  for (let i = 7; i < bits.length; i++) assert.equal(bits[i], bits[i - 6] ^ bits[i - 7], `bit ${i}`);
});

test('V.29 Table 1 is a permutation and its inverse undoes it', () => {
  for (let b = 0; b < 8; b++) assert.equal(V29_TRIBIT_FOR_CHANGE[V29_PHASE_CHANGE[b]], b);
  assert.equal(V29_PHASE_CHANGE[0b001], 0);
  assert.equal(V29_PHASE_CHANGE[0b111], 4);
});

test('V.29 scrambler: the descrambler recovers the data after 23 bits, from any starting state', () => {
  const data = prbs(500, 1);
  const s = new V29Scrambler();
  const d = new V29Scrambler();
  for (let i = 0; i < 40; i++) d.descramble(i & 1); // different history
  const out = Array.from(data, (b) => d.descramble(s.scramble(b)));
  assert.deepEqual(out.slice(23), Array.from(data.slice(23)));
});

for (const rate of [9600, 7200] as const) {
  test(`V.29 ${rate}: our transmitter to our receiver, every bit back`, () => {
    const data = prbs(3000, rate);
    let i = 0;
    const tx = new V29Transmitter({ rate, getBit: () => (i < data.length ? data[i++] : -1) });
    const bits: number[] = [];
    const events: string[] = [];
    const rx = new V29Receiver({ rate }, { bit: (b) => bits.push(b), carrier: (up) => events.push(`carrier ${up}`), training: (ok) => events.push(`training ${ok}`) });
    const buf = new Int16Array(160);
    let n = 0;
    do {
      n = tx.generate(buf);
      rx.receive(buf.subarray(0, n));
    } while (n === 160);
    rx.receive(new Int16Array(800));
    assert.deepEqual(events, ['carrier true', 'training true', 'carrier false']);
    const s = bits.join('');
    const at = s.indexOf(data.slice(0, 64).join(''));
    assert.ok(at >= 0, `data not found in ${s.slice(0, 200)}`);
    assert.equal(s.slice(at, at + data.length), data.join(''));
  });
}

test('V.29 receiver: white noise at −20 dBm0 is not taken for a V.29 signal', () => {
  const noise = new Int16Array(8000 * 2);
  let r = 12345;
  for (let i = 0; i < noise.length; i++) {
    r = (r * 1103515245 + 12345) >>> 0;
    noise[i] = Math.round(((r >>> 8) / (1 << 24) - 0.5) * 2 * 4000);
  }
  const events: string[] = [];
  let bits = 0;
  const rx = new V29Receiver({ rate: 9600 }, { bit: () => bits++, training: (ok) => events.push(`training ${ok}`) });
  rx.receive(noise);
  assert.ok(!events.includes('training true'), events.join(', '));
  assert.equal(bits, 0);
});
