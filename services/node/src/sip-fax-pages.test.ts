import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitmapsEqual, createBitmap, readTiff, setPixel, writeTiff, type Bitmap } from '@faxgate/fax-image';
import type { PageRequest, SessionParams } from '@faxgate/t30';
import { decodeReceivedPage, tiffDocument } from '@faxgate/t38';
import { judgePage, receivedDocument } from './sip-fax-pages.ts';

function page(seed: number): Bitmap {
  const b = createBitmap(1728, 400);
  for (let y = 0; y < 400; y++) {
    setPixel(b, (seed * 37 + y * 3) % 1728, y, 1);
    if ((y + seed) % 50 < 6) for (let x = 200 + seed * 10; x < 900; x++) setPixel(b, x, y, 1);
  }
  return b;
}

const tiff = writeTiff([page(1), page(2), page(3)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })));
const req = (index: number): PageRequest => ({ index, encoding: 'mr', resolution: 'fine', width: 'A4', minRowBits: 0, ecm: false });
const params = { encoding: 'mr', resolution: 'fine' } as SessionParams;

test('the row-counting judge gives the verdict of a full decode; the received TIFF holds the pages decoded', async () => {
  const plain = tiffDocument(tiff);
  const coded = [0, 1, 2].map((i) => plain.encodePage(req(i)));
  for (const data of coded) {
    const full = decodeReceivedPage(data, params);
    assert.deepEqual(judgePage(data, params), { rows: full.rows, badRows: full.badRows });
  }
  // A damaged page: the judge sees the same bad rows a full decode does.
  const spoilt = coded[0].slice();
  for (let i = 200; i < 260; i++) spoilt[i] ^= 0x5a;
  const full = decodeReceivedPage(spoilt, params);
  assert.ok(full.badRows > 0);
  assert.deepEqual(judgePage(spoilt, params), { rows: full.rows, badRows: full.badRows });

  const r = await receivedDocument(coded.map((data) => ({ data, params })));
  assert.equal(r.badRows, 0);
  const back = readTiff(r.document);
  assert.equal(back.length, 3);
  for (let i = 0; i < 3; i++) assert.ok(bitmapsEqual(back[i].decode(), plain.bitmaps()[i]), `page ${i + 1}`);
});
