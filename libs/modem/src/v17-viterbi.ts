// Viterbi decoder for the V.17 trellis code (its 8-state convolutional encoder): 8 states; each received
// symbol is compared with the nearest point of each of the 8 subsets Y0 Y1 Y2, and the path
// through the encoder's state diagram with the least squared distance wins. Decisions come out
// TRACEBACK symbols late.
import { SubsetSlicer } from './subset-slicer.ts';
import { v17NextState } from './v17-constellation.ts';

/** Symbols between a symbol's arrival and its decision: several times the code's memory. */
const TRACEBACK = 24;
const STATES = 8;

export class V17Viterbi {
  private readonly onLabel: (label: number) => void;
  /** Nearest point of each subset (label & 7) to the symbol. */
  private readonly slicer: SubsetSlicer;
  /**
   * The encoder's transitions seen from their end: for state ns, its 4 incoming transitions as
   * (previous state, subset sent), in the order of (previous state, Y2 Y1), so that ties go to
   * the same path whichever way the trellis is walked.
   */
  private readonly prevState = new Int32Array(STATES * 4);
  private readonly prevSubset = new Int32Array(STATES * 4);
  /** State of least metric after the last symbol. */
  private best = 0;
  private metric = new Float64Array(STATES);
  private scratch = new Float64Array(STATES);
  /** Per symbol and state: the state it came from and the label it decided. */
  private readonly from = new Int8Array(TRACEBACK * STATES);
  private readonly labels = new Int16Array(TRACEBACK * STATES);
  private head = 0;
  /** The label of the point nearest the last symbol pushed (for the equaliser's decisions). */
  nearest = 0;
  /** Symbols received and not yet decided. */
  private filled = 0;

  constructor(points: Int8Array, onLabel: (label: number) => void) {
    this.onLabel = onLabel;
    const n = points.length / 2;
    const subsets: Int32Array[] = [];
    for (let s = 0; s < 8; s++) {
      const l: number[] = [];
      for (let label = s; label < n; label += 8) l.push(label);
      subsets.push(Int32Array.from(l));
    }
    this.slicer = new SubsetSlicer(points, subsets);
    const incoming = new Int32Array(STATES);
    for (let s = 0; s < STATES; s++) {
      for (let k = 0; k < 4; k++) {
        const y1 = k & 1;
        const y2 = k >> 1;
        const ns = v17NextState(s, y1, y2);
        const j = ns * 4 + incoming[ns]++;
        this.prevState[j] = s;
        this.prevSubset[j] = (s & 1) | (y1 << 1) | (y2 << 2);
      }
    }
    if (incoming.some((c) => c !== 4)) throw new Error('V.17 trellis: every state must have 4 incoming transitions');
  }

  /** Forgets the path: the encoder's state is unknown at the start of a signal. */
  reset(): void {
    this.metric.fill(0);
    this.best = 0;
    this.head = 0;
    this.filled = 0;
  }

  /** The received symbol for {@link push} (a field, not an argument: V8 boxes doubles passed to a call it does not inline). */
  zr = 0;
  zi = 0;

  /** Adds the symbol in zr, zi to the trellis. */
  push(): void {
    this.slicer.slice(this.zr, this.zi);
    const { dist, label: bestLabel } = this.slicer;
    const { prevState, prevSubset, metric, from, labels } = this;
    let near = 0;
    for (let s = 1; s < 8; s++) if (dist[s] < dist[near]) near = s;
    this.nearest = bestLabel[near];
    const nm = this.scratch;
    const base = this.head * STATES;
    let min = Infinity;
    let best = 0;
    for (let ns = 0, j = 0; ns < STATES; ns++, j += 4) {
      // The four incoming transitions, unrolled: the survivor is the first of the least.
      let w = j;
      let v = metric[prevState[j]] + dist[prevSubset[j]];
      const m1 = metric[prevState[j + 1]] + dist[prevSubset[j + 1]];
      if (m1 < v) {
        v = m1;
        w = j + 1;
      }
      const m2 = metric[prevState[j + 2]] + dist[prevSubset[j + 2]];
      if (m2 < v) {
        v = m2;
        w = j + 2;
      }
      const m3 = metric[prevState[j + 3]] + dist[prevSubset[j + 3]];
      if (m3 < v) {
        v = m3;
        w = j + 3;
      }
      nm[ns] = v;
      from[base + ns] = prevState[w];
      labels[base + ns] = bestLabel[prevSubset[w]];
      if (v < min) {
        min = v;
        best = ns;
      }
    }
    // Keep the metrics small: only their differences matter.
    for (let s = 0; s < STATES; s++) nm[s] -= min;
    this.best = best;
    this.scratch = metric;
    this.metric = nm;
    this.head = this.head === TRACEBACK - 1 ? 0 : this.head + 1;
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
    const { from } = this;
    let state = this.best;
    let at = this.head === 0 ? TRACEBACK - 1 : this.head - 1;
    for (let k = 0; k < age; k++) {
      state = from[at * STATES + state];
      at = at === 0 ? TRACEBACK - 1 : at - 1;
    }
    return this.labels[at * STATES + state];
  }
}
