import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitmapFromGray, createBitmap, getPixel } from '@faxgate/fax-image';
import { prng } from '@faxgate/testkit';
import { classifyBlocks, toBilevel } from './bilevel.ts';
import type { GrayPage } from './gray-page.ts';

function page(w: number, h: number, f: (x: number, y: number) => number): GrayPage {
  const pixels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[y * w + x] = f(x, y);
  return { width: w, height: h, stride: w, pixels };
}

/** Text-like: black strokes with one anti-aliased edge pel on white paper. */
const textLike = (x: number, y: number) => (y % 20 < 3 && x % 9 < 5 ? 0 : y % 20 === 3 && x % 9 < 5 ? 160 : 255);

test('text and line art are thresholded exactly like a plain threshold', () => {
  const g = page(320, 200, textLike);
  const got = toBilevel(g);
  const want = bitmapFromGray(g.pixels, g.width, g.height, 128);
  assert.deepEqual(got.data, want.data);
  assert.equal(classifyBlocks(g).photo.includes(1), false);
});

for (const method of ['halftone', 'diffusion'] as const) {
  test(`a grey photo is dithered (${method}): black density follows the grey level, never solid`, () => {
    // A horizontal ramp from dark grey to light grey.
    const g = page(512, 256, (x) => 40 + Math.floor((x / 512) * 180));
    const b = toBilevel(g, 128, method);
    assert.ok(classifyBlocks(g).photo.every((v) => v === 1));
    for (const [x0, grey] of [[0, 40], [256, 130], [448, 197]] as const) {
      let black = 0;
      for (let y = 0; y < 256; y++) for (let x = x0; x < x0 + 64; x++) black += getPixel(b, x, y);
      const density = black / (64 * 256);
      // The diffusion's lightening curve makes dots a little sparser than the linear level.
      const linear = 1 - grey / 255;
      assert.ok(density < linear + 0.02 && density > linear - 0.2, `grey ${grey}: density ${density.toFixed(3)} vs ${linear.toFixed(3)}`);
    }
  });

  // Error diffusion scatters dots (runs of a few pels); the screen's dots are clusters bounded
  // by its cell: at mid-grey a 45° dot is a diamond about 5.7 pels across.
  const longestAllowed = method === 'diffusion' ? 4 : 6;
  test(`no blobs (${method}): a flat mid-grey never makes a black run over ${longestAllowed} pels, also at a photo edge next to paper`, () => {
    // Mid-grey photo from x = 7 and y = 17 on, white paper above and left of it.
    const g = page(256, 256, (x, y) => (x < 7 || y < 17 ? 255 : 124));
    const b = toBilevel(g, 128, method);
    let longest = 0;
    for (let y = 0; y < 256; y++) {
      let run = 0;
      for (let x = 0; x < 256; x++) {
        run = getPixel(b, x, y) ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
    }
    assert.ok(longest <= longestAllowed, `longest black run ${longest}`);
  });
}

test('text next to a photo stays black and white', () => {
  const g = page(256, 128, (x, y) => (x < 128 ? 90 + ((x + y) % 60) : textLike(x, y)));
  const b = toBilevel(g);
  const want = bitmapFromGray(g.pixels, g.width, g.height, 128);
  // Far from the photo (beyond one block) text pels are as thresholded.
  for (let y = 0; y < 128; y++) for (let x = 200; x < 256; x++) if (g.pixels[y * 256 + x] !== 160) assert.equal(getPixel(b, x, y), getPixel(want, x, y), `${x},${y}`);
});

test('the word-at-a-time threshold equals a pel-by-pel one at every level outside the mid-tones, any width', () => {
  // Levels 0–39 and 216–255 only, so the classifier keeps the page on the threshold path.
  const level = (x: number, y: number) => (((x >> 3) + y * 31) % 3 ? 216 + ((x * 37 + y) % 40) : (x * 37 + y) % 40);
  for (const width of [1728, 2048, 1736, 1740, 64, 37]) {
    const g = page(width, 64, level);
    assert.equal(classifyBlocks(g).photo.includes(1), false);
    assert.deepEqual(toBilevel(g).data, bitmapFromGray(g.pixels, width, 64, 128).data, `width ${width}`);
  }
});

/**
 * The hairline rule written plainly, pel by pel: black below the threshold, or a pel up to 215
 * that is the darkest of a ridge at most two pels wide, 40 levels under the paper on both sides
 * (across rows, else along the row), ties to the upper or left pel.
 */
function plainHairlineThreshold(g: GrayPage): Uint8Array {
  const { width: w, height: h } = g;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 255 : g.pixels[y * g.stride + x]);
  const out = createBitmap(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = at(x, y);
      const ridge = (a1: number, a2: number, b1: number, b2: number) => v <= a1 && v < b1 && Math.max(a1, a2) >= v + 40 && Math.max(b1, b2) >= v + 40;
      const core = v >= 128 && v <= 215 && (ridge(at(x, y - 1), at(x, y - 2), at(x, y + 1), at(x, y + 2)) || ridge(at(x - 1, y), at(x - 2, y), at(x + 1, y), at(x + 2, y)));
      if (v < 128 || core) out.data[y * out.stride + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return out.data;
}

test('hairline cores are kept as the plain rule says, on any width and in pages with a photo', () => {
  // Light rules (grey 150–215) across and along, one and two pels wide, over text-like ink.
  const rules = (x: number, y: number) => (y % 23 === 5 ? 150 + (x % 66) : y % 23 === 6 && x % 3 === 0 ? 200 : x % 41 === 7 ? 180 : textLike(x, y));
  for (const width of [1728, 1736, 1740, 64, 37]) {
    const g = page(width, 96, rules);
    assert.equal(classifyBlocks(g).photo.includes(1), false);
    assert.deepEqual(toBilevel(g).data, plainHairlineThreshold(g), `width ${width}`);
  }
  // Beside a photo (left half), the text half is still the plain rule.
  const g = page(512, 96, (x, y) => (x < 128 ? 90 + ((x + y) % 60) : rules(x, y)));
  assert.ok(classifyBlocks(g).photo.includes(1));
  const got = toBilevel(g);
  const want = plainHairlineThreshold(g);
  for (let y = 0; y < 96; y++) for (let x = 200; x < 512; x++) assert.equal(getPixel(got, x, y), (want[y * got.stride + (x >> 3)] >> (7 - (x & 7))) & 1, `${x},${y}`);
});

test('hairline cores in random greys (a scanned page\'s slopes and ridges) are kept as the plain rule says', () => {
  // Random greys on every level, and columns and rows of candidates between paper and ink, so
  // every pel of the threshold's 32-pel groups has candidates around it that are, or are not,
  // the darkest of their neighbours across a row or a column; the classifier must not take the
  // noise (never smooth) for a photo.
  const rnd = prng(1818);
  const levels = [0, 100, 127, 128, 129, 150, 168, 169, 200, 215, 216, 240, 255];
  for (const width of [1728, 1740]) {
    const g = page(width, 40, () => (rnd() < 0.5 ? levels[Math.floor(rnd() * levels.length)] : Math.floor(rnd() * 256)));
    assert.equal(classifyBlocks(g).photo.includes(1), false);
    assert.deepEqual(toBilevel(g).data, plainHairlineThreshold(g), `width ${width}`);
  }
});
