// Nearest point of each subset of a trellis-coded constellation (the Viterbi decoder's branch
// metrics), without searching every point of every subset for each symbol: a grid laid over the
// constellation holds, per cell and subset, the points whose Voronoi region (within the subset)
// covers part of the cell. V.17's subsets' Voronoi boundaries run mostly along the grid's lines,
// so that is one point for most cells and never more than two (V.29's 16 points as one subset:
// the same); a cell where three or more regions meet (none in these constellations) and a symbol
// off the grid (a noise peak) are searched in full. The distance found is always the exact least
// distance to the subset.

/** Grid cell size in constellation units (V.17's points sit on whole units, 2 or more apart). */
const CELL = 0.5;
/** Per cell and subset: two candidates as x, y, label (the same one twice when only one can be nearest). */
const SLOT = 6;

/** What a cell of the grid holds. */
const Cell = {
  /** Not worked out yet: cells are filled when a symbol first falls in them. */
  Unknown: 0,
  /** Three or more regions of a subset meet inside: searched in full. */
  Full: 1,
  /** One candidate per subset. */
  Single: 2,
  /** Two candidates for some subset. */
  Pair: 3,
} as const;

/**
 * One grid per constellation table, shared by every receiver of the process. Its cells are
 * worked out as symbols first fall in them, not all at once: the whole grid of V.17's 14400
 * bit/s constellation took 70–80 ms of CPU, a stall in the middle of a call when its first
 * receiver starts; a signal visits a few hundred of its 2,304 cells.
 */
class Grid {
  /** Lower-left corner of the grid and cells per side. */
  readonly min: number;
  readonly side: number;
  readonly nsub: number;
  readonly cand: Int8Array;
  readonly kind: Uint8Array;
  private readonly points: Int8Array;
  private readonly subsets: readonly Int32Array[];
  private readonly clip = new Clipper();
  private readonly near: Int32Array;
  private readonly kept: Int32Array;

  constructor(points: Int8Array, subsets: readonly Int32Array[]) {
    this.points = points;
    this.subsets = subsets;
    let extent = 0;
    for (let i = 0; i < points.length; i++) extent = Math.max(extent, Math.abs(points[i]));
    // A margin of three units past the outermost points covers most noisy symbols.
    this.min = -(extent + 3);
    this.side = Math.ceil((2 * (extent + 3)) / CELL);
    this.nsub = subsets.length;
    this.cand = new Int8Array(this.side * this.side * this.nsub * SLOT);
    this.kind = new Uint8Array(this.side * this.side);
    this.near = new Int32Array(points.length / 2);
    this.kept = new Int32Array(points.length / 2);
  }

  /** Works out the candidates of `cell`; returns its kind. */
  fill(cell: number): number {
    const { points, subsets, nsub, cand, near, kept } = this;
    const x0 = this.min + (cell % this.side) * CELL;
    const y0 = this.min + Math.floor(cell / this.side) * CELL;
    const x1 = x0 + CELL;
    const y1 = y0 + CELL;
    let kind: number = Cell.Single;
    for (let s = 0; s < nsub; s++) {
      const sub = subsets[s];
      // A quick bound first: a point can be nearest somewhere in the cell only if its least
      // distance to the cell is no more than the least, over the subset, of the greatest.
      let bound = Infinity;
      for (let k = 0; k < sub.length; k++) {
        const px = points[2 * sub[k]];
        const py = points[2 * sub[k] + 1];
        const fx = Math.max(Math.abs(px - x0), Math.abs(px - x1));
        const fy = Math.max(Math.abs(py - y0), Math.abs(py - y1));
        if (fx * fx + fy * fy < bound) bound = fx * fx + fy * fy;
      }
      let n = 0;
      for (let k = 0; k < sub.length; k++) {
        const px = points[2 * sub[k]];
        const py = points[2 * sub[k] + 1];
        const dx = px < x0 ? x0 - px : px > x1 ? px - x1 : 0;
        const dy = py < y0 ? y0 - py : py > y1 ? py - y1 : 0;
        if (dx * dx + dy * dy <= bound) near[n++] = sub[k];
      }
      // The bound keeps points whose region only touches the cell's edge or corner (the
      // boundaries run along the grid lines): keep those whose region covers some area of it.
      // Clipping by the other candidates is enough: every point that is nearest somewhere in
      // the cell is one of them.
      let m = n;
      if (n > 1) {
        m = 0;
        for (let k = 0; k < n; k++) if (this.clip.regionMeetsCell(x0, y0, points, near, n, near[k])) kept[m++] = near[k];
      } else kept[0] = near[0];
      if (m > 2) {
        kind = Cell.Full;
        break;
      }
      if (m > 1) kind = Cell.Pair;
      const o = (cell * nsub + s) * SLOT;
      const a = kept[0];
      const b = kept[m - 1];
      cand[o] = points[2 * a];
      cand[o + 1] = points[2 * a + 1];
      cand[o + 2] = a;
      cand[o + 3] = points[2 * b];
      cand[o + 4] = points[2 * b + 1];
      cand[o + 5] = b;
    }
    this.kind[cell] = kind;
    return kind;
  }
}

const grids = new WeakMap<Int8Array, Grid>();

/** Clips a cell by the half-planes of a point's Voronoi region (Sutherland–Hodgman). */
class Clipper {
  private a = new Float64Array(2 * 40);
  private b = new Float64Array(2 * 40);

  /** Whether the part of the cell at (x0, y0) nearer `label` than every other of rivals[0…count) has a positive area. */
  regionMeetsCell(x0: number, y0: number, points: Int8Array, rivals: Int32Array, count: number, label: number): boolean {
    let a = this.a;
    let b = this.b;
    let n = 4;
    a[0] = x0;
    a[1] = y0;
    a[2] = x0 + CELL;
    a[3] = y0;
    a[4] = x0 + CELL;
    a[5] = y0 + CELL;
    a[6] = x0;
    a[7] = y0 + CELL;
    const px = points[2 * label];
    const py = points[2 * label + 1];
    for (let r = 0; r < count; r++) {
      const q = rivals[r];
      if (q === label) continue;
      const qx = points[2 * q];
      const qy = points[2 * q + 1];
      // Nearer p than q: 2(q − p)·z ≤ |q|² − |p|².
      const ca = 2 * (qx - px);
      const cb = 2 * (qy - py);
      const cc = qx * qx + qy * qy - px * px - py * py;
      let m = 0;
      for (let i = 0; i < n; i++) {
        const j = i + 1 === n ? 0 : i + 1;
        const fi = ca * a[2 * i] + cb * a[2 * i + 1] - cc;
        const fj = ca * a[2 * j] + cb * a[2 * j + 1] - cc;
        if (fi <= 0) {
          b[2 * m] = a[2 * i];
          b[2 * m + 1] = a[2 * i + 1];
          m++;
        }
        if ((fi < 0 && fj > 0) || (fi > 0 && fj < 0)) {
          const t = fi / (fi - fj);
          b[2 * m] = a[2 * i] + t * (a[2 * j] - a[2 * i]);
          b[2 * m + 1] = a[2 * i + 1] + t * (a[2 * j + 1] - a[2 * i + 1]);
          m++;
        }
      }
      if (m < 3) return false;
      const t = a;
      a = b;
      b = t;
      n = m;
    }
    let area = 0;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      area += a[2 * i] * a[2 * j + 1] - a[2 * j] * a[2 * i + 1];
    }
    return Math.abs(area) > 1e-9;
  }
}

export class SubsetSlicer {
  private readonly points: Int8Array;
  private readonly subsets: readonly Int32Array[];
  private readonly grid: Grid;
  /** After {@link slice}: per subset, the squared distance to its nearest point and that point's label. */
  readonly dist: Float64Array;
  readonly label: Int32Array;

  /** `subsets[s]` lists the labels (point indices) of subset s. */
  constructor(points: Int8Array, subsets: readonly Int32Array[]) {
    this.points = points;
    this.subsets = subsets;
    let grid = grids.get(points);
    if (!grid || grid.nsub !== subsets.length) {
      grid = new Grid(points, subsets);
      grids.set(points, grid);
    }
    this.grid = grid;
    this.dist = new Float64Array(subsets.length);
    this.label = new Int32Array(subsets.length);
  }

  slice(zr: number, zi: number): void {
    const { dist, label, grid } = this;
    const { min, side, cand } = grid;
    const nsub = dist.length;
    const cx = Math.floor((zr - min) * (1 / CELL));
    const cy = Math.floor((zi - min) * (1 / CELL));
    if (cx < 0 || cy < 0 || cx >= side || cy >= side) {
      this.sliceAll(zr, zi);
      return;
    }
    const cell = cy * side + cx;
    let kind: number = grid.kind[cell];
    if (kind === Cell.Unknown) kind = grid.fill(cell);
    if (kind === Cell.Single) {
      for (let s = 0, o = cell * nsub * SLOT; s < nsub; s++, o += SLOT) {
        const ar = zr - cand[o];
        const ai = zi - cand[o + 1];
        dist[s] = ar * ar + ai * ai;
        label[s] = cand[o + 2];
      }
      return;
    }
    if (kind === Cell.Full) {
      this.sliceAll(zr, zi);
      return;
    }
    // Both candidates are measured: a loop of varying length would not predict.
    for (let s = 0, o = cell * nsub * SLOT; s < nsub; s++, o += SLOT) {
      const ar = zr - cand[o];
      const ai = zi - cand[o + 1];
      const br = zr - cand[o + 3];
      const bi = zi - cand[o + 4];
      const da = ar * ar + ai * ai;
      const db = br * br + bi * bi;
      if (db < da) {
        dist[s] = db;
        label[s] = cand[o + 5];
      } else {
        dist[s] = da;
        label[s] = cand[o + 2];
      }
    }
  }

  /** Every point of every subset (a symbol off the grid); of equally near points, the lowest label. */
  sliceAll(zr: number, zi: number): void {
    const { points, dist, label, subsets } = this;
    for (let s = 0; s < subsets.length; s++) {
      const l = subsets[s];
      let bd = Infinity;
      let bl = 0;
      for (let i = 0; i < l.length; i++) {
        const dr = zr - points[2 * l[i]];
        const di = zi - points[2 * l[i] + 1];
        const d = dr * dr + di * di;
        if (d < bd) {
          bd = d;
          bl = l[i];
        }
      }
      dist[s] = bd;
      label[s] = bl;
    }
  }
}
