// Nearest point of each subset of a trellis-coded constellation (the Viterbi decoder's branch
// metrics), without searching every point of every subset for each symbol: a grid laid over the
// constellation lists, per cell and subset, only the points that can be nearest to some place in
// that cell. A symbol outside the grid (a noise peak) is searched in full, so the answer is
// always the exact nearest point.

/** Grid cell size in constellation units (subset points are 4 or more apart). */
const CELL = 0.5;

interface Grid {
  /** Lower-left corner of the grid and cells per side. */
  min: number;
  side: number;
  /** Candidates of cell c, subset s: labels[start[c·subsets + s] … start[c·subsets + s + 1]). */
  start: Int32Array;
  labels: Int16Array;
}

/** One grid per constellation table, built on first use (a few ms) and shared by every receiver. */
const grids = new WeakMap<Int8Array, Grid>();

function buildGrid(points: Int8Array, subsets: readonly Int32Array[]): Grid {
  let extent = 0;
  for (let i = 0; i < points.length; i++) extent = Math.max(extent, Math.abs(points[i]));
  // A margin of two cells' worth of spacing past the outermost points covers most noisy symbols.
  const min = -(extent + 3);
  const side = Math.ceil((2 * (extent + 3)) / CELL);
  const nsub = subsets.length;
  const start = new Int32Array(side * side * nsub + 1);
  const out: number[] = [];
  for (let cy = 0; cy < side; cy++) {
    for (let cx = 0; cx < side; cx++) {
      const x0 = min + cx * CELL;
      const y0 = min + cy * CELL;
      for (let s = 0; s < nsub; s++) {
        start[(cy * side + cx) * nsub + s] = out.length;
        const sub = subsets[s];
        // A point can be nearest somewhere in the cell only if its least distance to the cell
        // is no more than the greatest distance of the point whose greatest distance is least.
        let bound = Infinity;
        for (const label of sub) bound = Math.min(bound, farthest(x0, y0, points[2 * label], points[2 * label + 1]));
        for (const label of sub) if (nearest(x0, y0, points[2 * label], points[2 * label + 1]) <= bound) out.push(label);
      }
    }
  }
  start[side * side * nsub] = out.length;
  return { min, side, start, labels: Int16Array.from(out) };
}

/** Squared distance from (px, py) to the nearest place of the cell at (x0, y0). */
function nearest(x0: number, y0: number, px: number, py: number): number {
  const dx = Math.max(x0 - px, 0, px - (x0 + CELL));
  const dy = Math.max(y0 - py, 0, py - (y0 + CELL));
  return dx * dx + dy * dy;
}

/** Squared distance from (px, py) to the farthest corner of the cell at (x0, y0). */
function farthest(x0: number, y0: number, px: number, py: number): number {
  const dx = Math.max(Math.abs(px - x0), Math.abs(px - x0 - CELL));
  const dy = Math.max(Math.abs(py - y0), Math.abs(py - y0 - CELL));
  return dx * dx + dy * dy;
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
    if (!grid) {
      grid = buildGrid(points, subsets);
      grids.set(points, grid);
    }
    this.grid = grid;
    this.dist = new Float64Array(subsets.length);
    this.label = new Int32Array(subsets.length);
  }

  slice(zr: number, zi: number): void {
    const { points, dist, label } = this;
    const { min, side, start, labels } = this.grid;
    const nsub = dist.length;
    const cx = Math.floor((zr - min) * (1 / CELL));
    const cy = Math.floor((zi - min) * (1 / CELL));
    if (cx < 0 || cy < 0 || cx >= side || cy >= side) {
      this.sliceAll(zr, zi);
      return;
    }
    const base = (cy * side + cx) * nsub;
    for (let s = 0; s < nsub; s++) {
      let bd = Infinity;
      let bl = 0;
      for (let i = start[base + s], end = start[base + s + 1]; i < end; i++) {
        const l = labels[i];
        const dr = zr - points[2 * l];
        const di = zi - points[2 * l + 1];
        const d = dr * dr + di * di;
        if (d < bd) {
          bd = d;
          bl = l;
        }
      }
      dist[s] = bd;
      label[s] = bl;
    }
  }

  private sliceAll(zr: number, zi: number): void {
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
