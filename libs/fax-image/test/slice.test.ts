// sliceTiff: what the simulated line writes as "what the remote received", judged by libtiff.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { firstDifference, readTiff, sliceTiff, writeTiff, writeTiffRaw } from '../src/index.ts';
import { ditheredPhoto, noise, textPage } from '@faxgate/testkit';
import { libtiffRasters, Scratch, tiffcp, tiffinfoStrict } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());

// libtiff's 1-D decoder sizes its run array to the width rounded up to 32, so a 1728-wide MH row
// with 1729 runs (a 50 % dither starting black) overflows it even in files tiffcp wrote itself;
// the photo here is 1731 wide so libtiff can judge every compression.
const bitmaps = [textPage(1728, 500, 1), ditheredPhoto(1731, 200), noise(1728, 50, 3, 0.05), textPage(2048, 300, 4)];

describe('sliceTiff', () => {
  for (const compression of ['mh', 'mr', 'mmr'] as const) {
    it(`copies ${compression} pages [1, 3) byte for byte with new page numbers`, () => {
      const whole = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression });
      const part = sliceTiff(whole, 1, 3);
      const file = scratch.write(`slice-${compression}.tif`, part);
      const info = tiffinfoStrict(file);
      assert.match(info, /Page Number: 0-2/);
      assert.match(info, /Page Number: 1-2/);
      const src = readTiff(whole);
      const got = readTiff(part);
      assert.equal(got.length, 2);
      got.forEach((p, i) => {
        assert.equal(p.compression, compression);
        assert.deepEqual(p.strips[0], src[i + 1].strips[0]);
      });
      libtiffRasters(scratch, file).forEach((b, i) => assert.equal(firstDifference(b, bitmaps[i + 1]), null));
    });
  }

  it('re-codes pages that are not one CCITT strip (libtiff G4 in 10-row strips, FillOrder 2)', () => {
    const source = scratch.write('u.tif', writeTiffRaw(bitmaps.map((b) => ({
      width: b.width, height: b.height, xDpi: 204, yDpi: 98, compression: 1, fillOrder: 1 as const, rowsPerStrip: b.height, strips: [b.data],
    }))));
    const g4 = scratch.path('g4.tif');
    tiffcp(['-c', 'g4', '-r', '10', '-f', 'lsb2msb', source, g4]);
    const part = sliceTiff(readFileSync(g4), 0, 4);
    const file = scratch.write('slice-g4.tif', part);
    tiffinfoStrict(file);
    const pages = readTiff(part);
    assert.equal(pages.length, 4);
    for (const p of pages) {
      assert.equal(p.strips.length, 1);
      assert.equal(p.compression, 'mmr');
      assert.equal(p.yDpi, 98);
    }
    libtiffRasters(scratch, file).forEach((b, i) => assert.equal(firstDifference(b, bitmaps[i]), null));
    assert.throws(() => sliceTiff(part, 2, 5), RangeError);
  });
});
