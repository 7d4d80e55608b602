import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTiff } from '@faxgate/fax-image';
import { tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB } from './class1-bed.ts';

// ECM through a noisy line (issue 12: "ECM done in host software (frames, PPS/PPR, CTC)"):
// faxgate → faxgate over two iaxmodems with the noisy relay between them
// (libs/class1/test/noisy-line.ts, seeded white noise on the IAX2 audio). Over Class 1 the ECM
// frames are framed by the host: the sender sends the block's HDLC frames as +FTM data, the
// receiver takes the bit stream with +FRM and checks each frame's FCS itself. A burst of noise
// in the block's data spoils some frames (or makes spandsp's V.17 demodulator drop the carrier
// for the rest of the block): the receiver must list the frames it lacks in PPR (T.30 §A.4.2.3),
// the sender must send exactly those again (§A.4.2.4), and the page must finally arrive whole,
// as libtiff decodes it, pixel for pixel.
//
// One real-time call over iaxmodem, about 40 s (a 15 s block, then the frames sent again).

/** Noise that spoils V.17 data once the modem has trained (measured in class1-noisy-line/-rtn). */
const BURST_RMS = 1_500;
const BURST_MS = 1_000;
/**
 * After the receiver's first CFR: the block's data starts about 1 s later (CFR on V.21, the gap,
 * the short training) and lasts about 15 s (28 KiB of MMR at 14400), so a 1 s burst 4 s after
 * CFR falls inside it with seconds to spare either side, on a loaded machine too.
 */
const BURST_AFTER_MS = 4_000;

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair({ noise: { noiseRms: 0, seed: 0xec3 } });
  dir = await tempDir('faxgate-class1-ecm-noise');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

test('ECM through a noise burst on a real modem line: the receiver answers PPR with the spoiled frames, the sender sends exactly those again, and both pages arrive pixel for pixel', { timeout: 120_000 }, async (t) => {
  const msgsA: string[] = [];
  const msgsB: string[] = [];
  let burst: NodeJS.Timeout | undefined;
  let bursts = 0;
  // Page 1 is one long block (1400 fine rows, about 28 KiB of MMR); page 2 shows the call goes
  // on after the repaired block.
  const tiff = writeTiff([textPage(1728, 1400, 71), textPage(1728, 200, 72)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  const r = await callAtoB(pair, '5550102', tiff, {
    a: { ecm: true },
    b: { ecm: true },
    request: () => ({ callId: 'ecm-noise' }),
    onLogA: (msg) => void msgsA.push(msg),
    onLogB: (msg) => {
      msgsB.push(msg);
      // The first block's data only: the frames sent again cross a clean line.
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
    assert.equal(r.outcome.pagesSent, 2);
    assert.match(r.logB, /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);

    // Page 1's first block went out whole, and the receiver found frames missing in it.
    const firstBlock = msgsA.map((m) => /^tx ECM block 0 of page 1: (\d+) frames at /.exec(m)).find((m) => m);
    assert.ok(firstBlock, `the sender sent page 1's block: ${msgsA.join(' | ')}`);
    const frames = Number(firstBlock[1]);
    const pps = msgsB.map((m) => /^PPS: (\d+) of (\d+) frames missing, PPR$/.exec(m)).filter((m) => m !== null);
    assert.ok(pps.length > 0, `the receiver answered PPR: ${msgsB.join(' | ')}`);
    const missing = Number(pps[0][1]);
    assert.equal(Number(pps[0][2]), frames, 'the PPS counted the block the sender sent');
    assert.ok(missing > 0 && missing <= frames, `frames missing after the burst: ${missing} of ${frames}`);

    // T.30 §A.4.2.4: the sender sends again exactly the frames the PPR lists.
    const ppr = msgsA.findIndex((m) => /^PPR 1: \d+ frames to send again$/.test(m));
    assert.ok(ppr >= 0, `the sender got PPR: ${msgsA.join(' | ')}`);
    assert.equal(msgsA[ppr], `PPR 1: ${missing} frames to send again`);
    const resent = msgsA.slice(ppr + 1).find((m) => /^tx ECM block 0 of page 1: /.test(m));
    assert.match(resent ?? '', new RegExp(`^tx ECM block 0 of page 1: ${missing} frames at `), `the frames sent again: ${msgsA.slice(ppr).join(' | ')}`);
    t.diagnostic(`block of ${frames} frames, ${missing} missing after the burst and sent again; PPS/PPR rounds: ${pps.length}`);

    const got = r.received.outcome;
    assert.equal(got.pages, 2);
    assert.equal(got.partial, false);
    await assertSamePages(got.document, tiff, dir.path, 'ecm-noise');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

/**
 * Noise over the start of a partial page, toward the receiver only: on from the moment the
 * sender has CFR, it covers the sender's +FRS=7 silence wait, +FTM's CONNECT and the block's short
 * training (well under a second), so the receiving modem never trains and hears none of the
 * block. Noise both ways would hold the sender in +FRS=7 until it ends (the block then crosses a
 * clean line), and noise toward the receiver before its CFR went out holds the receiver's own
 * +FRS=7 before CFR. Page 1 (900 fine rows, some 58 frames, about 9 s at 14400) outlasts the
 * receiver's T2 (6 s after CFR), as issue 13's 40- and 256-frame blocks do.
 */
const START_BURST_MS = 2_500;

test('ECM, noise over the start of a block: the receiver misses it whole, keeps the call past T2, answers the PPS with PPR for every frame, and both pages arrive pixel for pixel', { timeout: 120_000 }, async (t) => {
  const msgsA: string[] = [];
  const msgsB: string[] = [];
  let burst: NodeJS.Timeout | undefined;
  let bursts = 0;
  const tiff = writeTiff([textPage(1728, 900, 73), textPage(1728, 200, 74)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  const r = await callAtoB(pair, '5550102', tiff, {
    a: { ecm: true },
    b: { ecm: true },
    request: () => ({ callId: 'ecm-start-burst' }),
    onLogB: (msg) => void msgsB.push(msg),
    onLogA: (msg) => {
      msgsA.push(msg);
      // The first CFR only: the block sent again crosses a clean line.
      if (msg === 'rx CFR' && bursts++ === 0) {
        pair.line?.setNoise(BURST_RMS, 'b');
        burst = setTimeout(() => pair.line?.setNoise(0), START_BURST_MS);
      }
    },
  }).finally(() => {
    clearTimeout(burst);
    pair.line?.setNoise(0);
  });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.match(r.logB, /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);

    const firstBlock = msgsA.map((m) => /^tx ECM block 0 of page 1: (\d+) frames at /.exec(m)).find((m) => m);
    assert.ok(firstBlock, `the sender sent page 1's block: ${msgsA.join(' | ')}`);
    const frames = Number(firstBlock[1]);
    // The receiver's T2 ran out under the block and it waited on for the command (T.30 Figure 5-2).
    assert.ok(msgsB.some((m) => m.startsWith('no partial page within T2: listening up to ')), `the receiver waited past T2: ${msgsB.join(' | ')}`);
    // T.30 §A.4.2.3: nothing of the block arrived, so the PPR lists every frame of it.
    const pps = msgsB.map((m) => /^PPS: (\d+) of (\d+) frames missing, PPR$/.exec(m)).find((m) => m);
    assert.ok(pps, `the receiver answered PPR: ${msgsB.join(' | ')}`);
    assert.deepEqual([Number(pps[1]), Number(pps[2])], [frames, frames], 'every frame of the block missing');
    assert.ok(msgsA.includes(`PPR 1: ${frames} frames to send again`), `the sender sends the whole block again: ${msgsA.join(' | ')}`);
    t.diagnostic(`block of ${frames} frames missed whole and sent again`);

    const got = r.received.outcome;
    assert.equal(got.pages, 2);
    assert.equal(got.partial, false);
    await assertSamePages(got.document, tiff, dir.path, 'ecm-start-burst');
  } catch (err) {
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

/**
 * T.30 §A.4.3 (continue to correct): a block that stays spoiled through four PPRs is sent on at
 * a lower rate after CTC/CTR. Noise toward the receiver over the start of the block and of its
 * first three retransmissions (the same start burst as above, from the sender's CFR and from
 * each PPR it gets) leaves the receiving modem untrained each time; after the fourth PPR the
 * sender steps down to V.17 12000 with CTC, the receiver answers CTR and must then ask its
 * modem for the new rate's +FRM code, and the block crosses the clean line. Page 1 is a short
 * block (8 frames, about 1 s at 14400) so that five rounds fit the test's time.
 */
test('ECM, CTC on a real modem line: after four PPRs for a block the sender continues at V.17 12000 (CTC), the receiver answers CTR and receives the block at the new rate, and both pages arrive pixel for pixel', { timeout: 150_000 }, async (t) => {
  const msgsA: string[] = [];
  const msgsB: string[] = [];
  let burst: NodeJS.Timeout | undefined;
  const tiff = writeTiff([textPage(1728, 400, 73), textPage(1728, 120, 76)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
  // A receiver that never follows the CTC leaves the sender stepping down rate after rate for
  // minutes: before the test's timeout, the dialogue so far goes to the output.
  const watchdog = setTimeout(() => process.stderr.write(`ECM CTC test still running after 140 s\n--- node A\n${msgsA.join('\n')}\n--- node B\n${msgsB.join('\n')}\n`), 140_000);
  const noiseFor = (ms: number) => {
    pair.line?.setNoise(BURST_RMS, 'b');
    clearTimeout(burst);
    burst = setTimeout(() => pair.line?.setNoise(0), ms);
  };
  const r = await callAtoB(pair, '5550102', tiff, {
    a: { ecm: true },
    b: { ecm: true },
    request: () => ({ callId: 'ecm-ctc' }),
    onLogB: (msg) => void msgsB.push(msg),
    onLogA: (msg) => {
      msgsA.push(msg);
      // Page 1's first transmission and its first three retransmissions; the one after CTC
      // crosses a clean line.
      if ((msg === 'rx CFR' && !msgsA.slice(0, -1).includes('rx CFR')) || /^PPR [123]: /.test(msg)) noiseFor(START_BURST_MS);
    },
  }).finally(() => {
    clearTimeout(watchdog);
    clearTimeout(burst);
    pair.line?.setNoise(0);
  });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.match(r.logB, /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);
    const pprs = msgsA.filter((m) => /^PPR \d+: \d+ frames to send again$/.test(m));
    assert.equal(pprs.length, 4, `four PPRs for page 1's block: ${msgsA.join(' | ')}`);
    // T.30 §A.4.3: CTC after the fourth PPR, at the next lower rate, answered with CTR.
    const ctc = msgsA.indexOf('CTC: continuing at V.17 12000 bit/s');
    assert.ok(ctc > msgsA.indexOf(pprs[3]), `the sender sent CTC after the fourth PPR: ${msgsA.join(' | ')}`);
    assert.ok(msgsB.includes('CTC: continuing at V.17 12000 bit/s'), `the receiver took the CTC: ${msgsB.join(' | ')}`);
    assert.ok(msgsB.includes('tx CTR') && msgsA.includes('rx CTR'), `CTR answered the CTC: ${msgsB.join(' | ')}`);
    const after = msgsA.slice(ctc).find((m) => /^tx ECM block 0 of page 1: /.test(m));
    assert.match(after ?? '', /^tx ECM block 0 of page 1: \d+ frames at V\.17 12000 bit\/s$/, `the block went on at 12000: ${msgsA.slice(ctc).join(' | ')}`);
    t.diagnostic(`PPRs: ${pprs.join('; ')}; then ${after}`);

    const got = r.received.outcome;
    assert.equal(got.pages, 2);
    assert.equal(got.partial, false);
    await assertSamePages(got.document, tiff, dir.path, 'ecm-ctc');
  } catch (err) {
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});
