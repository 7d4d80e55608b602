import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBitmap, getPixel, type Bitmap } from '@faxgate/fax-image';
import { prng } from '@faxgate/testkit';
import { SCREEN, SCREEN_SIZE, bytesBelow, screenRow } from './halftone.ts';

/** A flat grey v screened over w × h pels, as ditherInto calls screenRow for a photo run. */
function screenFlat(v: number, w: number, h: number, xs = 0): Bitmap {
  const px = new Uint8Array(w * h).fill(v);
  const out = createBitmap(w, h);
  for (let y = 0; y < h; y++) screenRow(px, y * w, out.data, y * out.stride, y, xs, w);
  return out;
}

function blackShare(b: Bitmap, xs = 0): number {
  let n = 0;
  for (let y = 0; y < b.height; y++) for (let x = xs; x < b.width; x++) n += getPixel(b, x, y);
  return n / ((b.width - xs) * b.height);
}

test('the screen is 64 distinct thresholds spread evenly over the grey scale', () => {
  assert.equal(SCREEN.length, SCREEN_SIZE * SCREEN_SIZE);
  const sorted = [...SCREEN].sort((a, b) => a - b);
  assert.equal(new Set(sorted).size, 64);
  // Threshold k (from the top) is 255 × (63.5 − k) / 64, rounded: steps of 4, never 0 or 255.
  sorted.forEach((t, i) => assert.ok(Math.abs(t - (255 * (i + 0.5)) / 64) <= 0.5, `threshold ${i}: ${t}`));
});

test('flat greys keep their tone: ink share within one level of the 64-pel cell (the thresholds are whole greys) of 1 − v/255', () => {
  for (let v = 0; v <= 255; v += 5) {
    const share = blackShare(screenFlat(v, 64, 64));
    assert.ok(Math.abs(share - (1 - v / 255)) < 1 / 64, `grey ${v}: ink ${share.toFixed(4)}`);
  }
  // White paper stays white, black stays black.
  assert.equal(blackShare(screenFlat(255, 64, 16)), 0);
  assert.equal(blackShare(screenFlat(0, 64, 16)), 1);
});

test('the same on runs that start off a byte boundary (pel-by-pel edges)', () => {
  for (const v of [30, 128, 200]) {
    const a = screenFlat(v, 99, 32, 3);
    const b = screenFlat(v, 99, 32, 0);
    for (let y = 0; y < 32; y++) for (let x = 3; x < 99; x++) assert.equal(getPixel(a, x, y), getPixel(b, x, y), `grey ${v} at ${x},${y}`);
  }
});

test('dots are clustered: in the light tones each cell holds two round dots, not scattered pels', () => {
  // 4-connected components of ink in a 64 × 64 page of a flat light grey: two dots per 8 × 8
  // cell (64 cells, 128 dots) while the dots stay apart; a dispersed dither would give one
  // component per inked pel.
  for (const v of [230, 200, 170]) {
    const b = screenFlat(v, 64, 64);
    const seen = new Uint8Array(64 * 64);
    let comps = 0;
    let inked = 0;
    for (let i = 0; i < 64 * 64; i++) {
      if (seen[i] || !getPixel(b, i % 64, (i / 64) | 0)) continue;
      comps++;
      const stack = [i];
      seen[i] = 1;
      while (stack.length) {
        const j = stack.pop()!;
        inked++;
        const x = j % 64;
        const y = (j / 64) | 0;
        for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
          if (nx < 0 || ny < 0 || nx >= 64 || ny >= 64) continue;
          const k = ny * 64 + nx;
          if (!seen[k] && getPixel(b, nx, ny)) {
            seen[k] = 1;
            stack.push(k);
          }
        }
      }
    }
    // Dots cut by the page's edge count twice at most: between 128 and 128 + 2 × 17 edge pieces.
    assert.ok(comps >= 128 && comps <= 128 + 34, `grey ${v}: ${comps} components of ${inked} inked pels`);
    assert.ok(inked / comps >= 2, `grey ${v}: ${inked / comps} pels per dot`);
  }
});

test('deterministic: the same page screens to the same bits, tiled with the 8-pel period', () => {
  const px = new Uint8Array(256 * 64);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7919) % 256;
  const run = () => {
    const out = createBitmap(256, 64);
    for (let y = 0; y < 64; y++) screenRow(px, y * 256, out.data, y * out.stride, y, 0, 256);
    return out.data;
  };
  assert.deepEqual(run(), run());
  const flat = screenFlat(140, 64, 64);
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) assert.equal(getPixel(flat, x, y), getPixel(flat, x + 8, y + 8));
});

test('bytesBelow compares four bytes at once: every pair of byte values, in every byte of the word', () => {
  for (let p = 0; p < 256; p++) {
    for (let t = 0; t < 256; t++) {
      for (let k = 0; k < 4; k++) {
        // The other three bytes hold values that would borrow or carry into byte k if the
        // subtraction leaked between bytes.
        const fill = p < 128 ? 0xff : 0x00;
        const pw = (((fill * 0x01010101) & ~(0xff << (8 * k))) | (p << (8 * k))) | 0;
        const tw = (((0x80 * 0x01010101) & ~(0xff << (8 * k))) | (t << (8 * k))) | 0;
        const got = (bytesBelow(pw, tw) >>> (8 * k + 7)) & 1;
        if (got !== (p < t ? 1 : 0)) assert.fail(`byte ${k}: ${p} < ${t} gave ${got}`);
      }
    }
  }
});

test('the word-at-a-time screen (rows on word boundaries) gives the same bits as the pel-by-pel one', () => {
  const rnd = prng(18);
  const w = 1728;
  const h = 24;
  const px = new Uint8Array(w * h);
  // Random greys, with stretches of paper (the word path skips four 255s at once) and of
  // single threshold values (ties: a pel equal to its threshold stays white).
  for (let i = 0; i < px.length; i++) {
    const r = rnd();
    px[i] = r < 0.2 ? 255 : r < 0.3 ? SCREEN[(i % 8) + ((((i / w) | 0) & 7) * 8)] : Math.floor(rnd() * 256);
  }
  const words = new Int32Array(px.buffer, px.byteOffset, px.length >> 2);
  for (const [xs, xe] of [[0, w], [32, 1696], [3, 1001]]) {
    const bytewise = createBitmap(w, h);
    const wordwise = createBitmap(w, h);
    for (let y = 0; y < h; y++) {
      screenRow(px, y * w, bytewise.data, y * bytewise.stride, y, xs, xe);
      screenRow(px, y * w, wordwise.data, y * wordwise.stride, y, xs, xe, words);
    }
    assert.deepEqual(wordwise.data, bytewise.data, `pels ${xs}..${xe}`);
  }
});
