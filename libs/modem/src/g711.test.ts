import { test } from 'node:test';
import assert from 'node:assert/strict';
import { g711Decode, g711Decode1, g711Encode, g711Encode1 } from './g711.ts';

// Segment and step of a code as G.711 writes it (µ-law magnitude bits inverted, A-law even bits).
const muFields = (c: number) => ({ positive: (c & 0x80) !== 0, seg: (~c >> 4) & 7, step: ~c & 15 });
const aFields = (c: number) => ({ positive: ((c ^ 0x55) & 0x80) !== 0, seg: ((c ^ 0x55) >> 4) & 7, step: (c ^ 0x55) & 15 });

test('every µ-law code survives decode then encode (−0 comes back as +0)', () => {
  for (let c = 0; c < 256; c++) {
    const back = g711Encode1('ulaw', g711Decode1('ulaw', c));
    assert.equal(back, c === 0x7f ? 0xff : c, `code ${c}`);
  }
});

test('every A-law code survives decode then encode', () => {
  for (let c = 0; c < 256; c++) assert.equal(g711Encode1('alaw', g711Decode1('alaw', c)), c, `code ${c}`);
});

test('µ-law segments start at the decision values of G.711 Table 2a', () => {
  // Table 2a, 14-bit magnitudes: segment n begins at 31, 95, 223, 479, 991, 2015, 4063 (n = 1..7).
  const starts = [0, 31, 95, 223, 479, 991, 2015, 4063];
  for (let seg = 0; seg < 8; seg++) {
    assert.deepEqual(muFields(g711Encode1('ulaw', starts[seg] * 4)), { positive: true, seg, step: 0 });
    // µ-law is mid-tread: −0 and +0 are both zero, so the sign of −0 is the encoder's choice.
    if (seg > 0) assert.deepEqual(muFields(g711Encode1('ulaw', -starts[seg] * 4)), { positive: false, seg, step: 0 });
    if (seg > 0) assert.deepEqual(muFields(g711Encode1('ulaw', starts[seg] * 4 - 1)), { positive: true, seg: seg - 1, step: 15 });
  }
  // Table 2a: the largest decoder output is 8031, the decision value above it 8159.
  assert.equal(g711Decode1('ulaw', 0x80), 8031 * 4);
  assert.equal(g711Decode1('ulaw', 0x00), -8031 * 4);
  assert.equal(g711Decode1('ulaw', 0xff), 0);
  assert.equal(g711Encode1('ulaw', 32767), 0x80);
  assert.equal(g711Encode1('ulaw', -32768), 0x00);
});

test('A-law segments start at the decision values of G.711 Table 1a', () => {
  // Table 1a, 12-bit magnitudes: segments 1..7 begin at 32, 64, 128, 256, 512, 1024, 2048.
  const starts = [0, 32, 64, 128, 256, 512, 1024, 2048];
  for (let seg = 0; seg < 8; seg++) {
    assert.deepEqual(aFields(g711Encode1('alaw', starts[seg] * 8)), { positive: true, seg, step: 0 });
    assert.deepEqual(aFields(g711Encode1('alaw', -starts[seg] * 8 - 1)), { positive: false, seg, step: 0 });
    if (seg > 0) assert.deepEqual(aFields(g711Encode1('alaw', starts[seg] * 8 - 1)), { positive: true, seg: seg - 1, step: 15 });
  }
  // Table 1a: outputs are odd in segment 0 (1, 3, ... 31) and the largest is 4032.
  assert.equal(g711Decode1('alaw', 0xd5), 8);
  assert.equal(g711Decode1('alaw', 0x55), -8);
  assert.equal(g711Decode1('alaw', 0xaa), 4032 * 8);
  assert.equal(g711Encode1('alaw', 32767), 0xaa);
});

test('quantisation error never exceeds half a step of the segment (plus the dropped low bits)', () => {
  for (let s = -32000; s <= 32000; s++) {
    const mu = muFields(g711Encode1('ulaw', s));
    const muStep = 2 << mu.seg; // Table 2a: step 2·2^seg in 14-bit units
    assert.ok(Math.abs(g711Decode1('ulaw', g711Encode1('ulaw', s)) - s) <= (muStep / 2) * 4 + 3, `µ-law ${s}`);
    const a = aFields(g711Encode1('alaw', s));
    const aStep = a.seg === 0 ? 2 : 1 << a.seg; // Table 1a: steps 2, 2, 4, 8, ... in 12-bit units
    assert.ok(Math.abs(g711Decode1('alaw', g711Encode1('alaw', s)) - s) <= (aStep / 2) * 8 + 7, `A-law ${s}`);
  }
});

test('the array forms equal the one-sample forms', () => {
  const x = Int16Array.from({ length: 1000 }, (_, i) => Math.round(30000 * Math.sin(i / 7)));
  for (const law of ['ulaw', 'alaw'] as const) {
    const codes = g711Encode(law, x);
    const y = g711Decode(law, codes);
    for (let i = 0; i < x.length; i++) {
      assert.equal(codes[i], g711Encode1(law, x[i]));
      assert.equal(y[i], g711Decode1(law, codes[i]));
    }
  }
});
