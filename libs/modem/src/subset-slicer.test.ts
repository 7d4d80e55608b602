import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SubsetSlicer } from './subset-slicer.ts';
import { V17_CONSTELLATIONS } from './v17-constellation.ts';
import { v29Point } from './v29-constellation.ts';

/** Deterministic uniform numbers in [0, 1). */
function random(seed: number): () => number {
  let r = seed;
  return () => {
    r = (r * 1103515245 + 12345) >>> 0;
    return r / 2 ** 32;
  };
}

/** The nearest point of each subset by searching them all. */
function bruteForce(points: Int8Array, subsets: Int32Array[], zr: number, zi: number): number[] {
  return subsets.map((sub) => {
    let best = Infinity;
    for (const l of sub) {
      const dr = zr - points[2 * l];
      const di = zi - points[2 * l + 1];
      best = Math.min(best, dr * dr + di * di);
    }
    return best;
  });
}

function check(name: string, points: Int8Array, subsets: Int32Array[]): void {
  test(`subset slicer, ${name}: the exact least distance to each subset and a point of that subset at it, anywhere on and off the grid`, () => {
    const slicer = new SubsetSlicer(points, subsets);
    let extent = 0;
    for (const v of points) extent = Math.max(extent, Math.abs(v));
    const rnd = random(points.length);
    const n = points.length / 2;
    for (let i = 0; i < 20000; i++) {
      // Half the symbols anywhere (past the grid too), half near a point, as a decoder sees them.
      let zr: number;
      let zi: number;
      if (i & 1) {
        zr = (2 * rnd() - 1) * (extent + 5);
        zi = (2 * rnd() - 1) * (extent + 5);
      } else {
        const p = Math.floor(rnd() * n);
        zr = points[2 * p] + (rnd() - 0.5) * 1.5;
        zi = points[2 * p + 1] + (rnd() - 0.5) * 1.5;
      }
      slicer.slice(zr, zi);
      const want = bruteForce(points, subsets, zr, zi);
      for (let s = 0; s < subsets.length; s++) {
        assert.equal(slicer.dist[s], want[s], `symbol (${zr}, ${zi}), subset ${s}`);
        const l = slicer.label[s];
        assert.ok(subsets[s].includes(l), `label ${l} is not in subset ${s}`);
        assert.equal((zr - points[2 * l]) ** 2 + (zi - points[2 * l + 1]) ** 2, want[s], `symbol (${zr}, ${zi}), subset ${s}: label ${l} is not at the least distance`);
      }
    }
  });
}

for (const rate of [14400, 12000, 9600, 7200] as const) {
  const points = V17_CONSTELLATIONS[rate];
  const subsets = Array.from({ length: 8 }, (_, s) => Int32Array.from({ length: points.length / 16 }, (_, k) => s + 8 * k));
  check(`V.17 ${rate} (8 subsets)`, points, subsets);
}

// V.29's 16 points as one subset (the V.29 receiver's decisions).
const v29 = new Int8Array(32);
const p = new Float64Array(2);
for (let i = 0; i < 16; i++) {
  v29Point(i >> 1, i & 1, p);
  v29[2 * i] = p[0];
  v29[2 * i + 1] = p[1];
}
check('V.29 9600 (one subset)', v29, [Int32Array.from({ length: 16 }, (_, i) => i)]);

// Irregular points whose regions meet inside cells (none of the modems' constellations has such
// cells), which are searched in full; two subsets.
check('irregular points', Int8Array.of(0, 0, 3, 1, 1, 3, -2, 2, 2, -3, -3, -1, 5, 4, -4, 5), [Int32Array.of(0, 1, 2, 3), Int32Array.of(4, 5, 6, 7)]);
