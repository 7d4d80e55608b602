import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBitmap, type Bitmap } from './bitmap.ts';
import { rowChanges, rowChangesWords } from './changes.ts';
import { encodeFax, encodeFaxRows, type FaxEncodeOptions } from './t4-encode.ts';
import { adversarialRasters, ditheredPhoto, noise, prng, textPage } from '@faxgate/testkit';

/** Rows repeated in bands (as blank space and vertical strokes repeat them), random padding bits. */
function banded(width: number, height: number, seed: number): Bitmap {
  const src = noise(width, height, seed, 0.1);
  const b = createBitmap(width, height);
  const rnd = prng(seed + 1);
  let from = 0;
  for (let y = 0; y < height; y++) {
    if (rnd() < 0.3) from = y;
    b.data.set(src.data.subarray(from * src.stride, (from + 1) * src.stride), y * b.stride);
    // Garbage after the last pel must not count as pixels (nor make rows differ).
    if (width & 7) b.data[y * b.stride + b.stride - 1] |= Math.floor(rnd() * 256) & (0xff >> (width & 7));
  }
  return b;
}

/** The reference: rows scanned a byte at a time, never reported as repeats. */
function encodeBytewise(b: Bitmap, opts: FaxEncodeOptions): Uint8Array {
  return encodeFaxRows(b.width, b.height, (y, out) => rowChanges(b.data, y * b.stride, b.width, out), opts);
}

const forms: FaxEncodeOptions[] = [{ compression: 'mmr' }, { compression: 'mr', k: 4 }, { compression: 'mh' }];

describe('word-at-a-time row scanning', () => {
  it('finds the same changing elements as the byte scan, padding bits ignored', () => {
    for (const width of [32, 64, 1696, 1725, 1728, 1760, 2047, 2048, 2432, 4864]) {
      for (const b of [banded(width, 40, width), ditheredPhoto(width, 20), ...Object.values(adversarialRasters(width, 6))]) {
        const words = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length >> 2);
        const a = new Int32Array(width + 8);
        const c = new Int32Array(width + 8);
        for (let y = 0; y < b.height; y++) {
          const n = rowChanges(b.data, y * b.stride, width, a);
          assert.equal(rowChangesWords(b.data, words, y * b.stride, width, c), n, `width ${width} row ${y}`);
          assert.deepEqual(c.subarray(0, n), a.subarray(0, n), `width ${width} row ${y}`);
        }
      }
    }
  });

  it('encodes bitmaps with repeated rows exactly as the byte scan does, in every mode', () => {
    // Widths whose rows are whole words take the repeated-row path; (1725 and 2047 with padding bits); 1730 and 100 do not.
    for (const width of [100, 1696, 1725, 1728, 1730, 2047, 2048, 2432]) {
      for (const b of [banded(width, 200, 7), textPage(width, 300, 3), ...Object.values(adversarialRasters(width, 9))]) {
        for (const form of forms) {
          assert.deepEqual(encodeFax(b, form), encodeBytewise(b, form), `${width} ${JSON.stringify(form)}`);
        }
      }
    }
  });
});
