import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, deserialize } from 'node:v8';
import { createBitmap, type Bitmap, type FaxPage } from '@faxgate/fax-image';
import { prng } from '@faxgate/testkit';
import { packBitmap, receivedPages, sendablePages, unpackBitmap } from './page-transfer.ts';

/**
 * A fax-width page with ink in `share` of its bytes, in runs as text has it, plus a solid band
 * (whole words of ink) and blank margins. 2293 rows: 123,822 words, so the last mask word is
 * only partly used.
 */
function page(seed: number, share: number, height = 2293): Bitmap {
  const b = createBitmap(1728, height);
  const rnd = prng(seed);
  for (let y = 100; y < height - 100; y++) {
    if (y % 30 > 20) continue;
    for (let i = 10; i < b.stride - 10; i++) if (rnd() < share) b.data[y * b.stride + i] = 1 + Math.floor(rnd() * 255);
  }
  // Solid ink over whole mask words (32 words in a row), and a stray pel in the very last byte.
  b.data.fill(0xff, 50 * b.stride, 60 * b.stride);
  b.data[b.data.length - 1] = 0x80;
  return b;
}

const equal = (a: Bitmap, b: Bitmap) => a.width === b.width && a.height === b.height && a.stride === b.stride && Buffer.compare(a.data, b.data) === 0;

test('a text-like page is sent as its inked words and comes back pel for pel, on a word boundary', () => {
  for (const share of [0.05, 0.2, 0.3]) {
    const b = page(7, share);
    const sent = packBitmap(b);
    assert.ok('packed' in sent, `a page with ${share} of its bytes inked is packed`);
    assert.ok(sent.mask.byteLength + sent.words.byteLength < b.data.length * 0.6);
    // Through the serialiser the child process's channel uses, as the sandbox sends it.
    const back = unpackBitmap(deserialize(serialize(sent)));
    assert.ok(equal(back, b), `share ${share}: the page differs after the round trip`);
    assert.equal(back.data.byteOffset % 4, 0);
  }
});

test('blank and solid pages survive the round trip', () => {
  const blank = createBitmap(1728, 100);
  const packedBlank = packBitmap(blank);
  assert.ok('packed' in packedBlank && packedBlank.words.length === 0);
  assert.ok(equal(unpackBitmap(packedBlank), blank));
  const solid = createBitmap(1728, 100);
  solid.data.fill(0xff);
  // Nothing to gain: sent as it is.
  assert.equal(packBitmap(solid), solid);
  assert.ok(equal(unpackBitmap(deserialize(serialize(packBitmap(solid)))), solid));
});

test('a dithered photo is sent as it is; a bitmap arriving off a word boundary is copied onto one', () => {
  const photo = page(11, 0.9);
  assert.equal(packBitmap(photo), photo);
  const buf = new Uint8Array(photo.data.length + 1);
  buf.set(photo.data, 1);
  const odd: Bitmap = { ...photo, data: buf.subarray(1) };
  const back = unpackBitmap(odd);
  assert.equal(back.data.byteOffset % 4, 0);
  assert.ok(equal(back, photo));
});

test('a document\'s pages come back each in its own part of one buffer, equal to those sent', () => {
  const photo = page(11, 0.9, 501);
  const off = new Uint8Array(photo.data.length + 1);
  off.set(photo.data, 1);
  const pages: FaxPage[] = [
    { bitmap: page(1, 0.1, 501), xDpi: 204, yDpi: 196 },
    { bitmap: { ...photo, data: off.subarray(1) }, xDpi: 204, yDpi: 196 },
    { bitmap: page(2, 0.2, 333), xDpi: 204, yDpi: 98, badFaxLines: 3 },
    { bitmap: createBitmap(1728, 17), xDpi: 204, yDpi: 196 },
  ];
  const got = receivedPages(deserialize(serialize(sendablePages(pages))));
  assert.equal(got.length, pages.length);
  got.forEach((p, i) => {
    assert.ok(equal(p.bitmap, pages[i].bitmap), `page ${i + 1} differs`);
    assert.equal(p.bitmap.data.byteOffset % 4, 0, `page ${i + 1} at byte offset ${p.bitmap.data.byteOffset}`);
    assert.equal(p.yDpi, pages[i].yDpi);
    assert.equal(p.badFaxLines, pages[i].badFaxLines);
  });
  // Ink put on one page does not show on another that shares the buffer.
  got[0].bitmap.data.fill(0xff);
  got.slice(1).forEach((p, i) => assert.ok(equal(p.bitmap, pages[i + 1].bitmap), `page ${i + 2} changed with page 1`));
});
