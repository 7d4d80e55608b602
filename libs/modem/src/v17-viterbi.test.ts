import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V17Viterbi } from './v17-viterbi.ts';
import { V17_BITS_PER_SYMBOL, V17_CONSTELLATIONS, V17TrellisEncoder, v17NextState } from './v17-constellation.ts';

function random(seed: number): () => number {
  let r = seed;
  return () => {
    r = (r * 1103515245 + 12345) >>> 0;
    return r / 2 ** 32;
  };
}

/** Labels of a trellis-coded transmission of random data (V.17's encoder), and its points with uniform noise of ±`noise` per axis. */
function transmission(rate: 14400 | 7200, n: number, noise: number, seed: number): { labels: number[]; zr: Float64Array; zi: Float64Array } {
  const rnd = random(seed);
  const enc = new V17TrellisEncoder();
  const pts = V17_CONSTELLATIONS[rate];
  const labels: number[] = [];
  const zr = new Float64Array(n);
  const zi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = enc.encode(rnd() < 0.5 ? 1 : 0, rnd() < 0.5 ? 1 : 0);
    const label = y | (Math.floor(rnd() * 2 ** (V17_BITS_PER_SYMBOL[rate] - 2)) << 3);
    labels.push(label);
    zr[i] = pts[2 * label] + (2 * rnd() - 1) * noise;
    zi[i] = pts[2 * label + 1] + (2 * rnd() - 1) * noise;
  }
  return { labels, zr, zi };
}

function decode(rate: 14400 | 7200, zr: Float64Array, zi: Float64Array): number[] {
  const out: number[] = [];
  const v = new V17Viterbi(V17_CONSTELLATIONS[rate], (l) => out.push(l));
  v.reset();
  for (let i = 0; i < zr.length; i++) {
    v.zr = zr[i];
    v.zi = zi[i];
    v.push();
  }
  v.flush();
  return out;
}

/** A plain Viterbi decoder over the whole sequence (every point searched, survivors kept whole), to judge the fast one. */
function reference(rate: 14400 | 7200, zr: Float64Array, zi: Float64Array): number[] {
  const pts = V17_CONSTELLATIONS[rate];
  let metric = new Array<number>(8).fill(0);
  let paths: number[][] = Array.from({ length: 8 }, () => []);
  for (let i = 0; i < zr.length; i++) {
    const best = new Array<number>(8).fill(Infinity);
    const bestLabel = new Array<number>(8).fill(0);
    for (let l = 0; l < pts.length / 2; l++) {
      const d = (zr[i] - pts[2 * l]) ** 2 + (zi[i] - pts[2 * l + 1]) ** 2;
      if (d < best[l & 7]) {
        best[l & 7] = d;
        bestLabel[l & 7] = l;
      }
    }
    const next = new Array<number>(8).fill(Infinity);
    const nextPaths: number[][] = new Array(8);
    for (let s = 0; s < 8; s++) {
      for (let k = 0; k < 4; k++) {
        const y1 = k & 1;
        const y2 = k >> 1;
        const sub = (s & 1) | (y1 << 1) | (y2 << 2);
        const ns = v17NextState(s, y1, y2);
        const m = metric[s] + best[sub];
        if (m < next[ns]) {
          next[ns] = m;
          nextPaths[ns] = [...paths[s], bestLabel[sub]];
        }
      }
    }
    metric = next;
    paths = nextPaths;
  }
  return paths[metric.indexOf(Math.min(...metric))];
}

test('V.17 Viterbi decoder: every label of a lightly noisy transmission, in order, the last ones on flush', () => {
  for (const rate of [14400, 7200] as const) {
    const { labels, zr, zi } = transmission(rate, 1003, 0.4, rate);
    assert.deepEqual(decode(rate, zr, zi), labels, `${rate}`);
  }
});

test('V.17 Viterbi decoder: under noise that misleads symbol-by-symbol decisions, it decides as a whole-sequence Viterbi decoder does', () => {
  const rate = 14400;
  // ±0.75 per axis often passes the half-distance (0.71) between neighbouring points of the
  // 128-point constellation; the code's distance is enough for the whole sequence.
  const { labels, zr, zi } = transmission(rate, 3000, 0.75, 5);
  const pts = V17_CONSTELLATIONS[rate];
  let uncoded = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let l = 1; l < pts.length / 2; l++) if ((zr[i] - pts[2 * l]) ** 2 + (zi[i] - pts[2 * l + 1]) ** 2 < (zr[i] - pts[2 * best]) ** 2 + (zi[i] - pts[2 * best + 1]) ** 2) best = l;
    if (best !== labels[i]) uncoded++;
  }
  const got = decode(rate, zr, zi);
  assert.ok(uncoded > 300, `the noise should mislead uncoded decisions (${uncoded} of ${labels.length} wrong)`);
  assert.deepEqual(got, reference(rate, zr, zi));
  assert.deepEqual(got, labels);
});
