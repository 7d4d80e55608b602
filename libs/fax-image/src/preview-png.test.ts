import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mupdf from 'mupdf';
import { createBitmap, setPixel } from './bitmap.ts';
import { previewPng } from './preview-png.ts';

test('the preview PNG decodes in MuPDF with the page reduced to about 100 dpi and its marks in place', () => {
  const page = createBitmap(1728, 2200);
  // A solid block at (200..599, 300..699) and one isolated black pixel at (1001, 1501).
  for (let y = 300; y < 700; y++) for (let x = 200; x < 600; x++) setPixel(page, x, y, 1);
  setPixel(page, 1001, 1501, 1);
  const { png, width, height } = previewPng(page, 204, 196);
  assert.deepEqual([width, height], [864, 1100]);

  const pix = new mupdf.Image(png).toPixmap();
  assert.deepEqual([pix.getWidth(), pix.getHeight(), pix.getNumberOfComponents()], [864, 1100, 1]);
  const px = pix.getPixels();
  const stride = pix.getStride();
  const at = (x: number, y: number) => px[y * stride + x];
  assert.equal(at(100, 150), 0, 'inside the block: black');
  assert.equal(at(299, 349), 0, 'last block pixel: black');
  assert.equal(at(300, 350), 255, 'just past the block: white');
  assert.equal(at(10, 10), 255, 'margin: white');
  // One black pixel of the four in its 2x2 block: a light grey, not lost.
  assert.equal(at(500, 750), 255 - Math.round(255 / 4));
});

test('a standard-resolution page keeps its rows and halves its columns (square pixels)', () => {
  const page = createBitmap(1728, 1100);
  const { width, height } = previewPng(page, 204, 98);
  assert.deepEqual([width, height], [864, 1100]);
});
