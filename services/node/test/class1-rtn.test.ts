import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTiff } from '@faxgate/fax-image';
import { tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB } from './class1-bed.ts';

// faxgate's class1 receiver judges copy quality over a real line: two iaxmodems with a noisy
// line between them (libs/class1/test/noisy-line.ts, seeded white noise on the IAX2 audio). A
// long burst in page 1's data spoils the page: the receiver must judge its copy quality bad (T.30
// §5.3.6.2, rows damaged and rows lost both counted) and answer RTN; T.30 §5.3.6.1.6 then has the
// sender retrain (DCS and TCF again) before going on, and the sender sends the page again. The
// page must finally arrive whole, pixel for pixel as libtiff decodes it.
//
// The sender is faxgate's class1 driver on the other modem. It was efax 0.9a, which dies of
// SIGFPE (exit 5, "terminating on signal 8") after a page it sent in under a second (it divides
// by the whole seconds elapsed: docs/modems.md); it did so here twice with a short page 2, and
// in the standard-resolution test in about one run in four: failures of efax's. What is judged
// here is the receiver; the spandsp modems and their demodulators are the independent part, and
// libtiff judges the page that finally arrived.
//
// Measured (two runs, efax sending): a 1.5 s burst of RMS 1500 in an MH page makes spandsp's V.17
// demodulator lose rows (1415 of 1456 decoded, 8 bad: RTP before lost rows counted, 66 lost
// estimated); a 3 s burst leaves it out of step for the rest of the page (334 rows, 123 bad, no
// RTC). A 4 s burst is therefore well past the 5 % RTN threshold whether or not the demodulator
// recovers, and the page (about 20 s of data) holds it wherever the loaded machine starts it.
//
// One real-time call over iaxmodem, about 60 s with the page sent twice (the second time at a
// lower rate: faxgate's sender steps down after RTN).

const BURST_RMS = 1_500;
const BURST_MS = 4_000;
/**
 * After faxgate's first CFR: page 1's data starts about 1 s later (CFR on V.21, the gap, the
 * training) and lasts about 25 s, so the burst falls inside it with seconds to spare either
 * side. ("rx page 1 starts" is logged only once the page's data has all arrived: a burst timed
 * from it hit the post-page exchange instead.)
 */
const BURST_AFTER_MS = 3_000;

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair({ noise: { noiseRms: 0, seed: 0x12ad } });
  dir = await tempDir('faxgate-class1-rtn');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

test('a burst spoils a page on a noisy line (non-ECM): faxgate\'s receiver judges its copy quality bad and answers RTN, the sender retrains and sends the page again, and it arrives pixel for pixel', { timeout: 120_000 }, async () => {
  const msgsB: string[] = [];
  let burst: NodeJS.Timeout | undefined;
  let bursts = 0;
  const tiff = writeTiff([{ bitmap: textPage(1728, 1000, 81), xDpi: 204, yDpi: 196 }], { compression: 'mh' });
  const r = await callAtoB(pair, '5550102', tiff, {
    a: { ecm: false },
    b: { ecm: false },
    request: () => ({ callId: 'rtn' }),
    onLogB: (msg) => {
      msgsB.push(msg);
      // The first transmission of the page only: the resent page crosses a clean line.
      if (msg === 'tx CFR' && bursts++ === 0) {
        burst = setTimeout(() => {
          pair.line?.setNoise(BURST_RMS);
          burst = setTimeout(() => pair.line?.setNoise(0), BURST_MS);
        }, BURST_AFTER_MS);
      }
    },
  }).finally(() => clearTimeout(burst));
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 1);

    // The receiver judged the first page 1 bad beyond the threshold: RTN, nothing kept.
    const first = msgsB.findIndex((m) => /^page 1: /.test(m));
    assert.ok(first >= 0, 'the receiver judged page 1');
    const [, rows, bad, lost] = /^page 1: \d+ octets, rows (\d+), bad (\d+), lost (\d+)$/.exec(msgsB[first]) ?? [];
    assert.ok(Number(bad) + Number(lost) > 0.05 * (Number(rows) + Number(lost)), `page 1 as judged: ${msgsB[first]}`);
    assert.equal(msgsB[first + 1], 'tx RTN');
    // T.30 §5.3.6.1.6: the sender retrains (DCS, TCF, CFR) before the next page data, which is
    // page 1 again, judged again and kept.
    const after = msgsB.slice(first + 2);
    const dcs = after.indexOf('rx DCS');
    const cfr = after.indexOf('tx CFR');
    const resent = after.indexOf('rx page 1 starts');
    assert.ok(dcs >= 0 && cfr > dcs && resent > cfr, `retraining before the page is sent again: ${after.join(' | ')}`);
    const again = after.findIndex((m) => /^page 1: /.test(m));
    assert.ok(again > resent && /^tx (MCF|RTP)$/.test(after[again + 1]), `the resent page 1 kept: ${after.join(' | ')}`);
    // What the sender saw of it: RTN, then DCS and a training accepted, then page 1 once more.
    assert.match(r.logA, /rx RTN.*tx TSI\+DCS.*training accepted at .*tx page 1 /s);

    const got = r.received.outcome;
    assert.equal(got.pages, 1);
    assert.equal(got.partial, false);
    await assertSamePages(got.document, tiff, dir.path, 'rtn');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});
