import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import { tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB } from './class1-bed.ts';

// Batching through the `class1` driver (issue 14): two faxes' documents in one modem call, EOM
// between them (PPS-EOM with ECM, T.30 §5.3.6.1.7), then phase B again. Node A's class1 driver
// dials on iaxmodem pty A; node B's class1 driver answers on pty B (two real software modems,
// spandsp behind each, wired over IAX2 on loopback). B must get one call carrying every page of
// both documents, equal pixel for pixel (libtiff decodes both sides) to the pages A sent.
//
// Calls over iaxmodem run in real time (about 20–40 s each here): each test has its own timeout.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-batch');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

for (const ecm of [true, false]) {
  test(`one class1 modem call carries two documents to faxgate's class1 receiver (ECM ${ecm ? 'on: PPS-EOM' : 'off: EOM'}): 3 pages in that call, pixel for pixel`, { timeout: 150_000 }, async () => {
    // Fax 1 has two pages, fax 2 one; the call's document is both back to back, as the call worker builds it.
    const bitmaps = [textPage(1728, 260, 21), textPage(1728, 260, 22), textPage(1728, 260, 23)] as Bitmap[];
    const document = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
    const confirmed: number[] = [];
    let multiDocument: boolean | undefined;
    const r = await callAtoB(pair, '5550102', document, {
      a: { ecm },
      request: (a) => {
        multiDocument = a.multiDocument;
        return {
          callId: 'lead-r0-a1',
          parts: [{ callId: 'lead-r0-a1', fromPage: 1, pages: 2 }, { callId: 'other-r0-a1', fromPage: 1, pages: 1 }],
          onPageConfirmed: (n) => confirmed.push(n),
        };
      },
    });
    try {
      assert.equal(multiDocument, true, 'the class1 driver says it sends batched calls');
      assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
      assert.equal(r.outcome.pagesSent, 3);
      assert.deepEqual(confirmed, [1, 2, 3]);
      // One call: the receiver handed over one fax holding all three pages, complete.
      assert.equal(r.allReceived.length, 1, 'one call received');
      const got = r.received.outcome;
      assert.equal(got.pages, 3);
      assert.equal(got.partial, false, got.reason);
      // The sender ended document 1 with EOM and went through phase B again (a second DCS).
      assert.match(r.logA, /EOM confirmed: phase B for the next document/);
      await assertSamePages(got.document, document, dir.path, `batch-${ecm}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
    }
  });
}
