import { getPixel, type Bitmap } from '@faxgate/fax-image';

/**
 * How well two renderings of the same page agree, ignoring one-pel edge differences (rounding
 * of glyph outlines): the share of black pels in either bitmap that have a black pel within
 * ±1 in the other, with `b` shifted by (dx, dy). 1.0 is identical ink.
 */
export function inkAgreement(a: Bitmap, b: Bitmap, dx: number, dy: number): number {
  const near = (m: Bitmap, x: number, y: number) => {
    for (let j = -1; j <= 1; j++) {
      for (let i = -1; i <= 1; i++) {
        const xx = x + i;
        const yy = y + j;
        if (xx >= 0 && yy >= 0 && xx < m.width && yy < m.height && getPixel(m, xx, yy)) return true;
      }
    }
    return false;
  };
  let inkA = 0;
  let inkB = 0;
  let matchA = 0;
  let matchB = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!getPixel(a, x, y)) continue;
      inkA++;
      if (near(b, x - dx, y - dy)) matchA++;
    }
  }
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) {
      if (!getPixel(b, x, y)) continue;
      inkB++;
      if (near(a, x + dx, y + dy)) matchB++;
    }
  }
  return inkA + inkB === 0 ? 1 : (matchA + matchB) / (inkA + inkB);
}

/** Ink per column (axis 'x') or per row ('y'). */
function profile(m: Bitmap, axis: 'x' | 'y'): Float64Array {
  const p = new Float64Array(axis === 'x' ? m.width : m.height);
  for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) if (getPixel(m, x, y)) p[axis === 'x' ? x : y]++;
  return p;
}

/** The shift s (within ±range) that best lines up profile q against p (p[i] ~ q[i - s]). */
function bestShift(p: Float64Array, q: Float64Array, range: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let s = -range; s <= range; s++) {
    let score = 0;
    for (let i = 0; i < p.length; i++) {
      const j = i - s;
      if (j >= 0 && j < q.length) score += p[i] * q[j];
    }
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  return best;
}

/**
 * The shift of `b` against `a` that agrees best: a coarse guess from the column and row ink
 * profiles (pages may be placed differently on the fax line), refined by ±1 pel.
 */
export function bestAlignment(a: Bitmap, b: Bitmap, range = 40): { dx: number; dy: number; agreement: number } {
  const gx = bestShift(profile(a, 'x'), profile(b, 'x'), range);
  const gy = bestShift(profile(a, 'y'), profile(b, 'y'), range);
  let best = { dx: gx, dy: gy, agreement: -1 };
  for (let dy = gy - 1; dy <= gy + 1; dy++) {
    for (let dx = gx - 1; dx <= gx + 1; dx++) {
      const agreement = inkAgreement(a, b, dx, dy);
      if (agreement > best.agreement) best = { dx, dy, agreement };
    }
  }
  return best;
}
