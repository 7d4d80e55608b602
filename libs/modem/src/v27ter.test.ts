import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V27terTransmitter } from './v27ter-tx.ts';
import { V27terReceiver } from './v27ter-rx.ts';
import { V27TER_DIBIT_CHANGE, V27TER_DIBIT_FOR_CHANGE, V27TER_TRIBIT_CHANGE, V27TER_TRIBIT_FOR_CHANGE } from './v27ter-constellation.ts';
import { V27terScrambler } from './scrambler.ts';

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let r = seed;
  for (let i = 0; i < n; i++) {
    r = (r * 1103515245 + 12345) >>> 0;
    out[i] = (r >>> 16) & 1;
  }
  return out;
}

test('V.27 ter Tables 1 and 2 are permutations and their inverses undo them', () => {
  for (let b = 0; b < 8; b++) assert.equal(V27TER_TRIBIT_FOR_CHANGE[V27TER_TRIBIT_CHANGE[b]], b);
  for (let b = 0; b < 4; b++) assert.equal(V27TER_DIBIT_FOR_CHANGE[V27TER_DIBIT_CHANGE[b]], b);
});

test('V.27 ter scrambler: the guard inverts a bit of a repeating line pattern and the descrambler undoes it', () => {
  // All zeros in from the all-zero state would put zeros on the line for ever without the guard.
  const s = new V27terScrambler();
  const d = new V27terScrambler();
  const line = Array.from({ length: 200 }, () => s.scramble(0));
  assert.ok(line.includes(1), 'the guard broke the all-zero line pattern');
  assert.deepEqual(line.map((b) => d.descramble(b)), new Array(200).fill(0));
});

test('V.27 ter scrambler: the descrambler recovers random data after 13 bits from any starting state', () => {
  const data = random(2000, 5);
  const s = new V27terScrambler();
  const d = new V27terScrambler();
  for (let i = 0; i < 50; i++) d.descramble((i * 7) & 1);
  const out = Array.from(data, (b) => d.descramble(s.scramble(b)));
  assert.deepEqual(out.slice(13), Array.from(data.slice(13)));
});

for (const rate of [4800, 2400] as const) {
  for (const echoProtection of [false, true]) {
    test(`V.27 ter ${rate}${echoProtection ? ' with echo protection tone' : ''}: our transmitter to our receiver, every bit back`, () => {
      const data = random(3000, rate);
      let i = 0;
      const tx = new V27terTransmitter({ rate, echoProtection, getBit: () => (i < data.length ? data[i++] : -1) });
      const bits: number[] = [];
      const events: string[] = [];
      const rx = new V27terReceiver({ rate }, { bit: (b) => bits.push(b), carrier: (up) => events.push(`carrier ${up}`), training: (ok) => events.push(`training ${ok}`) });
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
}
