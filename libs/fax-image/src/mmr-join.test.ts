import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBitmap, firstDifference, type Bitmap } from './bitmap.ts';
import { decodeFax } from './t4-decode.ts';
import { encodeFax, encodeMmrPart, joinBits } from './t4-encode.ts';
import { writeTiff } from './tiff-fax.ts';
import { ditheredPhoto, noise, prng, textPage } from '@faxgate/testkit';

/** A copy of `base` whose top `rows` rows are replaced by a random header band. */
function stamp(base: Bitmap, rows: number, seed: number, lastRowWhite: boolean): Bitmap {
  const out = createBitmap(base.width, base.height);
  out.data.set(base.data);
  const band = noise(base.width, rows, seed, 0.2);
  out.data.set(band.data, 0);
  if (lastRowWhite) out.data.fill(0, (rows - 1) * out.stride, rows * out.stride);
  return out;
}

describe('MMR of a page joined from separately coded rows', () => {
  it('joinBits of any split equals coding the whole page', () => {
    const rnd = prng(9);
    for (const b of [textPage(1728, 120, 2), ditheredPhoto(1725, 60), noise(100, 40, 3, 0.3)]) {
      const whole = encodeFax(b, { compression: 'mmr' });
      for (let k = 0; k < 12; k++) {
        const from = 1 + Math.floor(rnd() * (b.height - 1));
        const joined = joinBits(encodeMmrPart(b, 0, from, false), encodeMmrPart(b, from, b.height, true));
        assert.deepEqual(joined, whole, `${b.width}x${b.height} split at ${from}`);
      }
    }
  });

  it('pages stamped over a shared base are written exactly as without the hint, for every recipient', () => {
    const base = textPage(1728, 400, 5);
    const plain = (bitmap: Bitmap) => writeTiff([{ bitmap, xDpi: 204, yDpi: 196 }]);
    // Recipients whose band's last row is white share the cached rows; the others do not.
    for (const [seed, white] of [[1, true], [2, true], [3, false], [4, true]] as const) {
      const page = stamp(base, 33, seed, white);
      const hinted = writeTiff([{ bitmap: page, xDpi: 204, yDpi: 196, base: { bitmap: base, fromRow: 33 } }]);
      assert.deepEqual(hinted, plain(page), `recipient ${seed}`);
      const strip = encodeFax(page, { compression: 'mmr' });
      const r = decodeFax(strip, { compression: 'mmr', width: 1728, height: 400 });
      assert.equal(firstDifference(r.bitmap, page), null);
    }
  });

  it('a wrong hint (rows that differ from the base) still writes the page itself', () => {
    const base = textPage(1728, 200, 6);
    // A right hint first, so the base's coded rows are at hand.
    writeTiff([{ bitmap: stamp(base, 20, 8, true), xDpi: 204, yDpi: 196, base: { bitmap: base, fromRow: 20 } }]);
    const page = stamp(base, 20, 7, true);
    page.data[150 * page.stride + 40] ^= 0x10;
    const hinted = writeTiff([{ bitmap: page, xDpi: 204, yDpi: 196, base: { bitmap: base, fromRow: 20 } }]);
    assert.deepEqual(hinted, writeTiff([{ bitmap: page, xDpi: 204, yDpi: 196 }]));
  });
});
