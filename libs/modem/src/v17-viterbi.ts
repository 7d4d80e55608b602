// Viterbi decoder for the V.17 trellis code (its 8-state convolutional encoder): 8 states; each received
// symbol is compared with the nearest point of each of the 8 subsets Y0 Y1 Y2, and the path
// through the encoder's state diagram with the least squared distance wins. Decisions come out
// TRACEBACK symbols late.
import { v17NextState } from './v17-constellation.ts';

/** Symbols between a symbol's arrival and its decision: several times the code's memory. */
const TRACEBACK = 24;
const STATES = 8;

export class V17Viterbi {
  private readonly points: Int8Array;
  private readonly onLabel: (label: number) => void;
  /** For each subset (label & 7), the labels of its points. */
  private readonly subsets: Int32Array[];
  /** Encoder transitions: for state s and Y2 Y1 = k, next state and the subset sent. */
  private readonly next = new Int32Array(STATES * 4);
  private readonly subsetOf = new Int32Array(STATES * 4);
  private metric = new Float64Array(STATES);
  private scratch = new Float64Array(STATES);
  /** Per symbol and state: the state it came from and the label it decided. */
  private readonly from = new Int8Array(TRACEBACK * STATES);
  private readonly labels = new Int16Array(TRACEBACK * STATES);
  private readonly dist = new Float64Array(STATES);
  private readonly bestLabel = new Int32Array(STATES);
  private head = 0;
  /** The label of the point nearest the last symbol pushed (for the equaliser's decisions). */
  nearest = 0;
  /** Symbols received and not yet decided. */
  private filled = 0;

  constructor(points: Int8Array, onLabel: (label: number) => void) {
    this.points = points;
    this.onLabel = onLabel;
    const n = points.length / 2;
    this.subsets = [];
    for (let s = 0; s < 8; s++) {
      const l: number[] = [];
      for (let label = s; label < n; label += 8) l.push(label);
      this.subsets.push(Int32Array.from(l));
    }
    for (let s = 0; s < STATES; s++) {
      for (let k = 0; k < 4; k++) {
        const y1 = k & 1;
        const y2 = k >> 1;
        this.next[s * 4 + k] = v17NextState(s, y1, y2);
        this.subsetOf[s * 4 + k] = (s & 1) | (y1 << 1) | (y2 << 2);
      }
    }
  }

  /** Forgets the path: the encoder's state is unknown at the start of a signal. */
  reset(): void {
    this.metric.fill(0);
    this.head = 0;
    this.filled = 0;
  }

  push(zr: number, zi: number): void {
    const { points, dist, bestLabel } = this;
    for (let s = 0; s < 8; s++) {
      const l = this.subsets[s];
      let bd = Infinity;
      let bl = 0;
      for (let i = 0; i < l.length; i++) {
        const label = l[i];
        const dr = zr - points[2 * label];
        const di = zi - points[2 * label + 1];
        const d = dr * dr + di * di;
        if (d < bd) {
          bd = d;
          bl = label;
        }
      }
      dist[s] = bd;
      bestLabel[s] = bl;
    }
    let near = 0;
    for (let s = 1; s < 8; s++) if (dist[s] < dist[near]) near = s;
    this.nearest = bestLabel[near];
    const nm = this.scratch;
    nm.fill(Infinity);
    const base = this.head * STATES;
    for (let s = 0; s < STATES; s++) {
      const m = this.metric[s];
      for (let k = 0; k < 4; k++) {
        const sub = this.subsetOf[s * 4 + k];
        const ns = this.next[s * 4 + k];
        const v = m + dist[sub];
        if (v < nm[ns]) {
          nm[ns] = v;
          this.from[base + ns] = s;
          this.labels[base + ns] = bestLabel[sub];
        }
      }
    }
    // Keep the metrics small: only their differences matter.
    let min = Infinity;
    for (let s = 0; s < STATES; s++) if (nm[s] < min) min = nm[s];
    for (let s = 0; s < STATES; s++) nm[s] -= min;
    this.scratch = this.metric;
    this.metric = nm;
    this.head = (this.head + 1) % TRACEBACK;
    if (++this.filled === TRACEBACK) {
      this.onLabel(this.traceback(TRACEBACK - 1));
      this.filled--;
    }
  }

  /** Decides every symbol still held (the signal ended). */
  flush(): void {
    for (let k = this.filled - 1; k >= 0; k--) this.onLabel(this.traceback(k));
    this.filled = 0;
  }

  /** The label, on the best path, of the symbol `age` symbols before the newest. */
  private traceback(age: number): number {
    let state = 0;
    for (let s = 1; s < STATES; s++) if (this.metric[s] < this.metric[state]) state = s;
    let at = (this.head + TRACEBACK - 1) % TRACEBACK;
    for (let k = 0; k < age; k++) {
      state = this.from[at * STATES + state];
      at = (at + TRACEBACK - 1) % TRACEBACK;
    }
    return this.labels[at * STATES + state];
  }
}
