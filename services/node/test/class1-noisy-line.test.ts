import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB } from './class1-bed.ts';

// faxgate → faxgate over two iaxmodems with a line between them that can carry bursts of noise
// (libs/class1/test/noisy-line.ts: a relay adding white noise to the IAX2 audio). The modems are
// real spandsp modems; the noise defeats their training or corrupts the page as on a bad
// analogue line, and the T.30 recovery that follows is judged: FTT and fall-back to a lower rate
// (T.30 §5.3.6.1.4, §5.3.2.4), RTN and retransmission after retraining (§5.3.6.1.6). The pages
// that finally arrive are compared, pixel for pixel through libtiff, with the pages sent.
//
// Real-time calls over iaxmodem (30–60 s each): each test has its own timeout.

/**
 * Noise that defeats a spandsp modem's training at any rate, and its TCF when it has trained:
 * measured, V.17 trains at 60 and no modulation at 120 with the noise there from the start, but
 * a burst switched on by the receiver's DCS log line can start after the training (a loaded
 * machine), and 200 then let the TCF through (2700 and 1873 clean zero octets, 1800 needed).
 * 1500 also ruins a TCF whose modem has trained. Above about 180 the line is never silent for
 * +FRS, so the burst ends when the TCF is judged, before the answer.
 */
const BURST_RMS = 1_500;
/** Noise that damages a page whose modem has trained (measured: 200 does nothing there). */
const MID_PAGE_RMS = 1_500;

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair({ noise: { noiseRms: 0 } });
  dir = await tempDir('faxgate-class1-noise');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

/** Node A sends `doc` to node B, both with or without ECM; `onReceiverLog` times a burst by B's progress. */
function call(doc: Uint8Array, opts: { ecm: boolean; onReceiverLog: (msg: string) => void }) {
  return callAtoB(pair, '5550102', doc, { a: { ecm: opts.ecm }, b: { ecm: opts.ecm }, onLogB: opts.onReceiverLog, request: () => ({ callId: 'noisy' }) });
}

test('noise during the first TCF: the receiving modem cannot train, faxgate\'s receiver answers FTT, the sender falls back to V.17 12000 and the pages arrive pixel for pixel', { timeout: 120_000 }, async () => {
  const bitmaps = [textPage(1728, 260, 51), textPage(1728, 260, 52)] as Bitmap[];
  const tiff = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  let bursts = 0;
  // The burst starts once the receiver has the DCS (so phase B's V.21 frames are clean) and ends
  // when it has judged the TCF: the training at the first rate meets the noise, the next does not.
  const r = await call(tiff, {
    ecm: true,
    onReceiverLog: (msg) => {
      if (/^DCS: /.test(msg) && bursts === 0) {
        bursts++;
        pair.line?.setNoise(BURST_RMS);
      } else if (/^TCF: /.test(msg)) pair.line?.setNoise(0);
    },
  });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.deepEqual(r.outcome.remote?.trainingFailures, [14400]);
    assert.equal(r.outcome.remote?.speed, 12000);
    // Either the noise kept the modem from training (no carrier) or it ruined the TCF's zeros.
    assert.match(r.logB, /TCF: \d+ octets, longest zero run \d+, need 1800: FTT/);
    assert.match(r.logA, /rx FTT.*falling back to V\.17 12000.*training accepted at V\.17 12000/s);
    assert.equal(r.received.outcome.partial, false);
    assert.equal(r.received.outcome.pages, 2);
    await assertSamePages(r.received.outcome.document, tiff, dir.path, 'ftt');
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

test('noise in the middle of a page (no ECM): faxgate\'s receiver finds damaged rows and answers RTP (or RTN), the sender retrains before going on as T.30 says, and the fax records the damage', { timeout: 120_000 }, async () => {
  // A long first page (about 20 s at 14400, MR) so that the burst falls well inside its data.
  const bitmaps = [textPage(1728, 1400, 61), textPage(1728, 200, 62)] as Bitmap[];
  const tiff = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mh' });
  let burst: NodeJS.Timeout | undefined;
  let cfrs = 0;
  const r = await call(tiff, {
    ecm: false,
    onReceiverLog: (msg) => {
      // CFR is logged as it goes to the modem; page 1's data starts about 1.5 s later (CFR on
      // V.21, the gap, the short training) and lasts about 20 s: a 1 s burst 3 s after the first
      // CFR falls inside it with seconds to spare either side, on a loaded machine too.
      if (/^tx CFR/.test(msg) && cfrs++ === 0) {
        burst = setTimeout(() => {
          pair.line?.setNoise(MID_PAGE_RMS);
          burst = setTimeout(() => pair.line?.setNoise(0), 1_000);
        }, 3_000);
      }
    },
  });
  clearTimeout(burst);
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    const verdict = /page 1: \d+ octets, rows (\d+), bad (\d+)[^]*?"msg":"tx (MCF|RTP|RTN)/.exec(r.logB);
    assert.ok(verdict, 'the receiver judged page 1');
    const [, rows, bad, answer] = verdict;
    assert.notEqual(answer, 'MCF', `the burst damaged page 1 (${rows} rows decoded, ${bad} bad)`);
    if (answer === 'RTP') {
      // T.30 §5.3.6.1.6: RTP keeps the page and asks for retraining before the next one.
      assert.match(r.logA, /rx RTP.*tx TSI\+DCS.*training accepted at .*tx page 2 /s);
      assert.equal(r.received.outcome.pages, 2);
      assert.ok(r.received.outcome.badRows > 0, 'the damaged rows are recorded with the fax');
      const got = await decodeTiffWithLibtiff(r.received.outcome.document as Uint8Array, dir.path, 'rtp');
      const [ref2] = await decodeTiffWithLibtiff(writeTiff([{ bitmap: bitmaps[1], xDpi: 204, yDpi: 196 }], { compression: 'mh' }), dir.path, 'rtp-sent');
      assert.equal(differingPixels(got[1], ref2), 0, 'page 2, after the retraining, arrived pixel for pixel');
    } else {
      // RTN (the usual answer since lost rows count in the copy quality): retrain, here a rate
      // lower (faxgate's sender steps down after RTN), and send page 1 again; both pages then
      // arrive clean.
      assert.match(r.logA, /rx RTN.*tx TSI\+DCS.*rx CFR.*training accepted at .*tx page 1 .*tx page 2 /s);
      await assertSamePages(r.received.outcome.document, tiff, dir.path, 'rtn');
    }
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});
