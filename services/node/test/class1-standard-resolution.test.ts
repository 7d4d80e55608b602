import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { killEfax, yDpiOf } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB, sendToEfax } from './class1-bed.ts';

// Standard resolution (204 × 98 dpi, T.30 DCS bit 15 clear) over two iaxmodem software modems,
// with efax as the independent far end: faxgate sends a 98 dpi document and efax stores it at
// 98 dpi, pixel for pixel; faxgate's receiver records a 98 dpi page at 98 dpi. libtiff
// (tiffinfo, tiffcp) reads the resolution and the pixels of both sides.
//
// Real-time calls over iaxmodem (about 20–40 s each): each test has its own timeout.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-std');
});

after(async () => {
  killEfax();
  await pair?.stop();
  await dir?.remove();
});

test('faxgate sends a 2-page standard-resolution (98 dpi) fax to efax: efax stores both pages at 98 dpi, pixel for pixel', { timeout: 120_000 }, async () => {
  const pages = [textPage(1728, 140, 41), textPage(1728, 140, 42)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  const r = await sendToEfax(pair, dir.path, tiff, 'std-1');
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.efaxExit, 0, 'efax exit');
    const { files, joined } = r.received;
    assert.deepEqual(files, ['efax-rx.001', 'efax-rx.002']);
    assert.deepEqual(await yDpiOf(joined), [98, 98], 'efax stored standard-resolution pages');
    const got = await decodeTiffWithLibtiff(joined, dir.path, 'std-rx');
    const ref = await decodeTiffWithLibtiff(tiff, dir.path, 'std-sent');
    assert.equal(got.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(got[i].height, ref[i].height, `page ${i + 1}: rows (a fine page would have twice as many)`);
      assert.equal(differingPixels(got[i], ref[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
    }
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

test('a standard-resolution (98 dpi) page from faxgate\'s class1 sender is recorded at 98 dpi by faxgate\'s receiver, pixel for pixel', { timeout: 120_000 }, async () => {
  // The sending side is faxgate, not efax: efax 0.9a sending to faxgate died of SIGFPE ("terminating
  // on signal 8") in about one run in four here, a crash of efax's own. libtiff still judges the
  // pixels and the resolution; efax judges faxgate's standard-resolution sending in the test above.
  const pages = [textPage(1728, 160, 43)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  const r = await callAtoB(pair, '5550102', tiff, { request: () => ({ callId: 'std-2' }) });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    const got = r.received.outcome;
    assert.equal(got.pages, 1);
    assert.equal(got.partial, false);
    assert.match(r.logB, /DCS: [^"]*, standard,/, 'the sender asked for standard resolution');
    const stored = join(dir.path, 'faxgate-rx.tif');
    await writeFile(stored, got.document as Uint8Array);
    assert.deepEqual(await yDpiOf(stored), [98], 'faxgate recorded a standard-resolution page');
    const [page] = await decodeTiffWithLibtiff(stored, dir.path, 'std-rx2');
    const [ref] = await decodeTiffWithLibtiff(tiff, dir.path, 'std-sent2');
    assert.equal(page.height, ref.height, 'rows (a fine page would have twice as many)');
    assert.equal(differingPixels(page, ref), 0, 'pixels differ from the page sent');
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});
