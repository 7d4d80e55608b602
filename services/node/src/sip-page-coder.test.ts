import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBitmap, setPixel, writeTiff, type Bitmap } from '@faxgate/fax-image';
import { buildDcs, buildFrame, FCF, type PageRequest, type SessionParams } from '@faxgate/t30';
import { tiffDocument } from '@faxgate/t38';
import { waitUntil } from '@faxgate/testkit';
import { codedAheadDocument } from './sip-page-coder.ts';

function page(seed: number): Bitmap {
  const b = createBitmap(1728, 400);
  for (let y = 0; y < 400; y++) {
    setPixel(b, (seed * 37 + y * 3) % 1728, y, 1);
    if ((y + seed) % 50 < 6) for (let x = 200 + seed * 10; x < 900; x++) setPixel(b, x, y, 1);
  }
  return b;
}

const tiff = writeTiff([page(1), page(2), page(3)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })));
const params: SessionParams = { modulation: { modem: 'v29', bps: 9600 }, resolution: 'fine', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 10, ecm: false, ecmFrameSize: 256 };
// T.4 §4.1.3 as the engine computes it: 10 ms at 9600 bit/s.
const req = (index: number): PageRequest => ({ index, encoding: 'mr', resolution: 'fine', width: 'A4', minRowBits: 96, ecm: false });

test('our DCS starts page 1 coding on the worker; each page hands over the next; the bytes are tiffDocument\'s', async () => {
  const plain = tiffDocument(tiff);
  const doc = codedAheadDocument(tiff);
  try {
    assert.equal(doc.pageCount, 3);
    doc.observe({ type: 'send-hdlc', frames: [buildFrame(FCF.TSI, [0x20, 0x20], false), buildFrame(FCF.DCS, buildDcs(params))] } as never);
    for (let i = 0; i < 3; i++) {
      // Bounded wait for the worker: the page it codes ahead is handed over instead of coded here.
      await waitUntil(`page ${i + 1} coded ahead`, () => doc.isReady(req(i)), 20_000, 20);
      assert.deepEqual(doc.encodePage(req(i)), plain.encodePage(req(i)), `page ${i + 1}`);
    }
    assert.deepEqual(doc.stats, { ahead: 3, onTheSpot: 0 });
    // Settings nobody asked ahead for (a new DCS after FTT could bring them) are coded on the spot.
    assert.deepEqual(doc.encodePage({ ...req(1), encoding: 'mh' }), plain.encodePage({ ...req(1), encoding: 'mh' }));
    assert.deepEqual(doc.stats, { ahead: 3, onTheSpot: 1 });
  } finally {
    doc.dispose();
  }
});

