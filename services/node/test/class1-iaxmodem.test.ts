import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import { tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import type { Class1DriverOptions } from '../src/class1-line-driver.ts';
import { callAtoB } from './class1-bed.ts';

// faxgate ↔ faxgate over two real software modems: two iaxmodem processes (spandsp's Class 1
// modem behind each pty) wired to each other over IAX2 on 127.0.0.1. Node A's class1 driver
// sends on pty A, node B's answers on pty B. The pages B received are decoded by libtiff and
// compared pixel for pixel with the pages A sent.
//
// Calls over iaxmodem run in real time (about 15–30 s each here), so each test has its own
// timeout; the file makes two calls.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-node');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

/** Two short pages of text-like content (fine resolution), as a TIFF Class F the way render makes them. */
function document(): { tiff: Uint8Array; bitmaps: Bitmap[] } {
  const bitmaps = [textPage(1728, 260, 11), textPage(1728, 260, 12)] as Bitmap[];
  return { tiff: writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' }), bitmaps };
}

async function call(options: { a?: Partial<Class1DriverOptions>; stopMidCall?: boolean }) {
  const doc = document();
  const confirmed: number[] = [];
  let stopped: Promise<void> | undefined;
  let sendEnded = false;
  const r = await callAtoB(pair, '5550102', doc.tiff, {
    a: options.a,
    request: (a) => ({
      callId: 't1',
      onPageConfirmed: (n) => {
        confirmed.push(n);
        // A node stopping mid-call (shutdown) lets the call end before it closes its modems.
        if (n === 1 && options.stopMidCall) stopped = a.stop().then(() => assert.ok(sendEnded, 'stop() resolved before the call ended'));
      },
    }),
    afterSend: async () => {
      sendEnded = true;
      if (options.stopMidCall) {
        assert.ok(stopped, 'stop() was called mid-call');
        await stopped;
      }
    },
  });
  return { ...r, confirmed, doc };
}

test('faxgate → faxgate over two iaxmodems, V.17 14400 with ECM (host-framed HDLC): 2 pages arrive pixel for pixel, with caller ID (number and name) and TSI, though the sending node stops after page 1', { timeout: 120_000 }, async () => {
  const r = await call({ stopMidCall: true });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.deepEqual(r.confirmed, [1, 2]);
    assert.equal(r.outcome.remoteId, '+1 212 555 0102');
    const { call: c, outcome } = r.received;
    assert.equal(outcome.pages, 2);
    assert.equal(outcome.partial, false);
    assert.equal(outcome.csid, '+1 212 555 0101');
    // iaxmodem reports the caller's cidnumber as NMBR, its cidname as NAME and the number dialled as NDID.
    assert.equal(c.callingNumber, pair.a.callerNumber);
    assert.equal(c.callingName, pair.a.callerName);
    assert.equal(c.did, '5550102');
    await assertSamePages(outcome.document, r.doc.tiff, dir.path, 'ecm');
    const a = r.logA;
    assert.match(a, /training accepted at V\.17 14400/);
    assert.match(a, /tx ECM block 0 of page 1/);
    assert.match(r.logB, /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

test('faxgate → faxgate without ECM at a forced V.29 9600: 2 pages (MR) arrive pixel for pixel', { timeout: 120_000 }, async () => {
  const r = await call({ a: { ecm: false, modulations: ['v29', 'v27ter'] } });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.received.outcome.pages, 2);
    await assertSamePages(r.received.outcome.document, r.doc.tiff, dir.path, 'non-ecm');
    const a = r.logA;
    assert.match(a, /training accepted at V\.29 9600/);
    assert.match(a, /tx page 1 \(\d+ octets\) at V\.29 9600/);
    assert.doesNotMatch(a, /ECM block/);
    assert.match(r.logB, /DCS: V\.29 9600 bit\/s, mr, fine, ecm false/);
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});
