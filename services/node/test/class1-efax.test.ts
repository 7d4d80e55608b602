import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertPagesBelowEfaxHeader, assertSamePages, efaxSend, killEfax, type EfaxRun } from '../../../libs/class1/test/fax-bed.ts';
import { class1Driver, EFAX_ID, sendToEfax } from './class1-bed.ts';

// faxgate against efax, an independent Class 1 fax program, over two iaxmodem software modems
// wired to each other over IAX2 on 127.0.0.1: faxgate sends on pty A and efax receives on pty B,
// then efax sends on pty B and faxgate receives on pty A. efax does not do ECM, so these calls
// are non-ECM (MH/MR), which is also where the bit order of page data through the DCE shows:
// two spandsp modems pass octets unchanged, efax decodes what it got. Pages are judged by
// libtiff, pixel for pixel, against the pages sent.
//
// Real-time calls over iaxmodem (about 20–40 s each with efax's pacing): each test has its own
// timeout, and efax's own wait (-w with a watchdog) is bounded below it.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-efax');
});

after(async () => {
  killEfax();
  await pair?.stop();
  await dir?.remove();
});

test('faxgate sends 2 pages to efax (Class 1, non-ECM): efax reports success and its pages equal the pages sent', { timeout: 150_000 }, async () => {
  const pages = [textPage(1728, 240, 21), textPage(1728, 240, 22)];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  const r = await sendToEfax(pair, dir.path, tiff, 'efax-1');
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.outcome.remoteId, EFAX_ID);
    assert.equal(r.efaxExit, 0, 'efax exit');
    // One TIFF per page from efax, joined by tiffcp for the comparison.
    assert.deepEqual(r.received.files, ['efax-rx.001', 'efax-rx.002']);
    await assertSamePages(r.received.joined, tiff, dir.path, 'to-efax');
  } catch (err) {
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

test('efax sends 2 pages to faxgate (Class 1, non-ECM, V.17): faxgate receives them, every row below efax\'s own header band pixel for pixel, with efax\'s TSI and the caller ID (number and name)', { timeout: 150_000 }, async () => {
  const log: string[] = [];
  const b = class1Driver(pair.a.device, 'efax', log);
  const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  // 400 rows: over 3 s of data each at V.17 14400 (efax logs about 6,000 octets a page). A page
  // efax sends in under a second makes it die of SIGFPE (assertEfaxPagesLongEnough, which efaxSend
  // checks first); the 240-row pages this test had took 0.9 s.
  const pages = [textPage(1728, 400, 31), textPage(1728, 400, 32)];
  const files: string[] = [];
  for (const [i, bitmap] of pages.entries()) {
    // efax wants one TIFF-G3 file per page.
    const f = join(dir.path, `efax-tx.${i + 1}.tif`);
    await writeFile(f, writeTiff([{ bitmap, xDpi: 204, yDpi: 196 }], { compression: 'mh' }));
    files.push(f);
  }
  const stop = await b.listen(async (c, outcome) => {
    received.push({ call: c, outcome });
    return 'in-test';
  });
  let tx: EfaxRun | undefined;
  try {
    const efaxRun = await efaxSend(pair.b.device, '+1 212 555 0177', '5550110', files, 100_000);
    tx = efaxRun.run;
    assert.equal(efaxRun.code, 0, `efax exit ${efaxRun.code}:\n${tx.output()}`);
    await waitUntil('faxgate to hand the received fax to its sink', () => received.length > 0, 20_000);
    assert.equal(received.length, 1, 'one call, one fax');
    const { call: c, outcome } = received[0];
    assert.equal(outcome.pages, 2);
    assert.equal(outcome.partial, false);
    assert.equal(outcome.csid, '+1 212 555 0177');
    assert.equal(c.callingNumber, pair.b.callerNumber);
    assert.equal(c.callingName, pair.b.callerName);
    assert.equal(c.did, '5550110');
    const sent = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mh' });
    await assertPagesBelowEfaxHeader(outcome.document as Uint8Array, sent, dir.path, 'from-efax');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${tx?.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    tx?.proc.kill('SIGKILL');
    await stop();
  }
});


