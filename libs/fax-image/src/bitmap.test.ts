import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bitmapFromGray, bitmapsEqual, createBitmap, firstDifference, getPixel, setPixel } from './bitmap.ts';

describe('bitmap', () => {
  it('packs MSB first with 1 = black and whole-byte rows', () => {
    const b = createBitmap(10, 2);
    assert.equal(b.stride, 2);
    assert.equal(b.data.length, 4);
    setPixel(b, 0, 0, 1);
    setPixel(b, 9, 1, 1);
    assert.deepEqual([...b.data], [0x80, 0x00, 0x00, 0x40]);
    assert.equal(getPixel(b, 0, 0), 1);
    assert.equal(getPixel(b, 1, 0), 0);
    setPixel(b, 0, 0, 0);
    assert.equal(b.data[0], 0);
  });

  it('thresholds grey: darker than the threshold is black', () => {
    const gray = Uint8Array.from([0, 127, 128, 255, 10, 200]);
    const b = bitmapFromGray(gray, 3, 2);
    assert.deepEqual([0, 1, 2].map((x) => getPixel(b, x, 0)), [1, 1, 0]);
    assert.deepEqual([0, 1, 2].map((x) => getPixel(b, x, 1)), [0, 1, 0]);
    const t = bitmapFromGray(gray, 3, 2, 250);
    assert.equal(getPixel(t, 1, 1), 1);
    assert.throws(() => bitmapFromGray(gray, 4, 2), RangeError);
  });

  it('compares pixels, not padding bits', () => {
    const a = createBitmap(9, 1);
    const b = createBitmap(9, 1);
    b.data[1] = 0x7f;
    assert.ok(bitmapsEqual(a, b));
    setPixel(b, 8, 0, 1);
    assert.deepEqual(firstDifference(a, b), { x: 8, y: 0 });
    assert.deepEqual(firstDifference(a, createBitmap(9, 2)), { x: -1, y: -1 });
  });
});
