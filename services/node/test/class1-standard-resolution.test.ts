import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import type { ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertPagesBelowEfaxHeader, efaxSend, killEfax, yDpiOf, type EfaxRun } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB, class1Driver, sendToEfax } from './class1-bed.ts';

// Standard resolution (204 × 98 dpi, T.30 DCS bit 15 clear) over two iaxmodem software modems,
// with efax as the independent far end: faxgate sends a 98 dpi document and efax stores it at
// 98 dpi, pixel for pixel; efax sends a 98 dpi page and faxgate's receiver records it at 98 dpi
// (the rows below efax's header band); and faxgate → faxgate, the whole page. libtiff
// (tiffinfo, tiffcp) reads the resolution and the pixels of both sides.
//
// The efax calls also hold the "forced lower speed" cells against efax (its fine pages
// go at V.17 14400 in class1-efax): faxgate limited to V.29 sends at 9600, and faxgate's
// receiver offering V.27 ter only makes efax send at 4800.
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

test('faxgate sends a 2-page standard-resolution (98 dpi) fax to efax at a forced V.29 9600: efax stores both pages at 98 dpi, pixel for pixel', { timeout: 120_000 }, async () => {
  const pages = [textPage(1728, 140, 41), textPage(1728, 140, 42)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  const r = await sendToEfax(pair, dir.path, tiff, 'std-1', { modulations: ['v29'] });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.match(r.log, /training accepted at V\.29 9600 bit\/s/);
    assert.doesNotMatch(r.log, /V\.17 \d+ bit\/s/, 'nothing at V.17');
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

test('efax sends a standard-resolution (98 dpi) page to faxgate at V.27 ter 4800 (all faxgate\'s DIS offers): faxgate records it at 98 dpi with the page\'s rows intact below efax\'s header band', { timeout: 120_000 }, async () => {
  const log: string[] = [];
  const b = class1Driver(pair.a.device, 'std', log, { modulations: ['v27ter'] });
  // 400 rows: about 2.8 s of data at V.17 14400. efax dies of SIGFPE after a page it sent in
  // under a second (fax-bed's assertEfaxPagesLongEnough, which efaxSend checks first); the
  // 160-row page this test had took 0.3 s.
  const page = textPage(1728, 400, 43);
  const file = join(dir.path, 'efax-tx.1.tif');
  await writeFile(file, writeTiff([{ bitmap: page, xDpi: 204, yDpi: 98 }], { compression: 'mh' }));
  const received: ReceiveOutcome[] = [];
  const stop = await b.listen(async (_c, outcome) => {
    received.push(outcome);
    return 'in-test';
  });
  let tx: EfaxRun | undefined;
  try {
    const efaxRun = await efaxSend(pair.b.device, '+1 212 555 0177', '5550110', [file], 80_000);
    tx = efaxRun.run;
    assert.equal(efaxRun.code, 0, `efax exit ${efaxRun.code}`);
    await waitUntil('faxgate to hand the received fax to its sink', () => received.length > 0, 20_000);
    assert.equal(received.length, 1, 'one call, one fax');
    const outcome = received[0];
    assert.equal(outcome.pages, 1);
    assert.equal(outcome.partial, false);
    // efax codes MH only and has no ECM (docs/modems.md); the rate is the one faxgate's DIS left it.
    assert.match(log.join(''), /DCS: V\.27ter 4800 bit\/s, mh, standard, ecm false/, 'efax sent standard resolution at 4800');
    const stored = join(dir.path, 'faxgate-rx-from-efax.tif');
    await writeFile(stored, outcome.document as Uint8Array);
    assert.deepEqual(await yDpiOf(stored), [98], 'faxgate recorded a standard-resolution page');
    // efax puts its own header band above the page (fewer rows at standard than at fine).
    await assertPagesBelowEfaxHeader(stored, file, dir.path, 'from-efax');
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${tx?.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    tx?.proc.kill('SIGKILL');
    await stop();
    await b.stop();
  }
});

test('a standard-resolution (98 dpi) page from faxgate\'s class1 sender, MR with ECM (the receiver offers no MMR), is recorded at 98 dpi by faxgate\'s receiver, pixel for pixel', { timeout: 120_000 }, async () => {
  // faxgate on both sides: the whole page pixel for pixel, which efax's header band prevents.
  // The receiver offers MH and MR (FAXGATE_MODEM_CODINGS=mh,mr): the grid's MR-with-ECM cell.
  const pages = [textPage(1728, 160, 43)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression: 'mh' });
  const r = await callAtoB(pair, '5550102', tiff, { b: { encodings: ['mh', 'mr'] }, request: () => ({ callId: 'std-2' }) });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    const got = r.received.outcome;
    assert.equal(got.pages, 1);
    assert.equal(got.partial, false);
    assert.match(r.logB, /DCS: V\.17 14400 bit\/s, mr, standard, ecm true/, 'the sender asked for standard resolution, MR, ECM');
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
