// Viterbi decoder for the V.17 trellis code (its 8-state convolutional encoder): 8 states; each received
// symbol is compared with the nearest point of each of the 8 subsets Y0 Y1 Y2, and the path
// through the encoder's state diagram with the least squared distance wins. The best path is
// traced back once every BLOCK symbols, deciding the oldest BLOCK of them: each decision then
// has at least DEPTH later symbols behind it.
import { SubsetSlicer } from './subset-slicer.ts';
import { v17NextState } from './v17-constellation.ts';

/** Least number of later symbols behind a decision: several times the code's memory. */
const DEPTH = 24;
/** Symbols decided per traceback (a traceback per symbol cost as much as the rest of the decoder). */
const BLOCK = 16;
const HISTORY = DEPTH + BLOCK;
const STATES = 8;

/**
 * The trellis seen from its end, as {@link V17Viterbi.push} has it unrolled: for each state ns,
 * its 4 incoming transitions as (previous state, subset sent), in the order of the previous
 * state, so that ties go to the same path whichever way the trellis is walked. The previous
 * states of ns are the even ones for ns < 4 and the odd ones above (Y0 is the state's bit 0).
 */
const INCOMING_SUBSETS = [
  [0, 6, 2, 4],
  [6, 0, 4, 2],
  [2, 4, 0, 6],
  [4, 2, 6, 0],
  [1, 3, 7, 5],
  [5, 7, 3, 1],
  [7, 5, 1, 3],
  [3, 1, 5, 7],
] as const;

/** Checks the unrolled trellis against the encoder's own next-state function. */
function checkTrellis(): void {
  const seen = Array.from({ length: STATES }, () => [] as string[]);
  for (let s = 0; s < STATES; s++) {
    for (let k = 0; k < 4; k++) {
      const y1 = k & 1;
      const y2 = k >> 1;
      seen[v17NextState(s, y1, y2)].push(`${s}/${(s & 1) | (y1 << 1) | (y2 << 2)}`);
    }
  }
  for (let ns = 0; ns < STATES; ns++) {
    const want = INCOMING_SUBSETS[ns].map((sub, w) => `${2 * w + (ns >> 2)}/${sub}`);
    if (seen[ns].sort().join() !== want.sort().join()) throw new Error(`V.17 trellis: state ${ns} is reached by ${seen[ns]}, the decoder has ${want}`);
  }
}
checkTrellis();
const INCOMING = Int32Array.from(INCOMING_SUBSETS.flat());

export class V17Viterbi {
  private readonly onLabel: (label: number) => void;
  /** Nearest point of each subset (label & 7) to the symbol. */
  private readonly slicer: SubsetSlicer;
  private readonly metric = new Float64Array(STATES);
  /** The metric of each state's four incoming paths, in INCOMING's order. */
  private readonly paths = new Float64Array(4 * STATES);
  /** Per symbol and state: the state it came from and the label it decided. */
  private readonly from = new Int8Array(HISTORY * STATES);
  private readonly labels = new Int16Array(HISTORY * STATES);
  /** The labels of one traceback, oldest first. */
  private readonly decided = new Int16Array(HISTORY);
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
  }

  /** Forgets the path: the encoder's state is unknown at the start of a signal. */
  reset(): void {
    this.metric.fill(0);
    this.head = 0;
    this.filled = 0;
  }

  /** The received symbol for {@link push} (a field, not an argument: V8 boxes doubles passed to a call it does not inline). */
  zr = 0;
  zi = 0;

  /** Adds the symbol in zr, zi to the trellis. */
  push(): void {
    this.slicer.slice(this.zr, this.zi);
    const { dist, label } = this.slicer;
    const d0 = dist[0];
    const d1 = dist[1];
    const d2 = dist[2];
    const d3 = dist[3];
    const d4 = dist[4];
    const d5 = dist[5];
    const d6 = dist[6];
    const d7 = dist[7];
    // The nearest point of all (the first of the least), by a tournament without branches.
    const a01 = +(d1 < d0);
    const v01 = d0 + a01 * (d1 - d0);
    const a23 = +(d3 < d2);
    const v23 = d2 + a23 * (d3 - d2);
    const a45 = +(d5 < d4);
    const v45 = d4 + a45 * (d5 - d4);
    const a67 = +(d7 < d6);
    const v67 = d6 + a67 * (d7 - d6);
    const a03 = +(v23 < v01);
    const n03 = a01 + a03 * (2 + a23 - a01);
    const v03 = v01 + a03 * (v23 - v01);
    const a47 = +(v67 < v45);
    const n47 = 4 + a45 + a47 * (2 + a67 - a45);
    const v47 = v45 + a47 * (v67 - v45);
    this.nearest = label[n03 + +(v47 < v03) * (n47 - n03)];
    const metric = this.metric;
    const p0 = metric[0];
    const p1 = metric[1];
    const p2 = metric[2];
    const p3 = metric[3];
    const p4 = metric[4];
    const p5 = metric[5];
    const p6 = metric[6];
    const p7 = metric[7];
    // The paths into each state, unrolled after INCOMING_SUBSETS (checked against the encoder above).
    const m = this.paths;
    m[0] = p0 + d0; m[1] = p2 + d6; m[2] = p4 + d2; m[3] = p6 + d4;
    m[4] = p0 + d6; m[5] = p2 + d0; m[6] = p4 + d4; m[7] = p6 + d2;
    m[8] = p0 + d2; m[9] = p2 + d4; m[10] = p4 + d0; m[11] = p6 + d6;
    m[12] = p0 + d4; m[13] = p2 + d2; m[14] = p4 + d6; m[15] = p6 + d0;
    m[16] = p1 + d1; m[17] = p3 + d3; m[18] = p5 + d7; m[19] = p7 + d5;
    m[20] = p1 + d5; m[21] = p3 + d7; m[22] = p5 + d3; m[23] = p7 + d1;
    m[24] = p1 + d7; m[25] = p3 + d5; m[26] = p5 + d1; m[27] = p7 + d3;
    m[28] = p1 + d3; m[29] = p3 + d1; m[30] = p5 + d5; m[31] = p7 + d7;
    const { from, labels } = this;
    const at = this.head * STATES;
    for (let ns = 0, j = 0; ns < STATES; ns++, j += 4) {
      // The survivor is the first of the least, selected by arithmetic on the comparisons:
      // branches (Math.min has them too) would not predict, which path survives depends on
      // the data.
      const m0 = m[j];
      const m1 = m[j + 1];
      const m2 = m[j + 2];
      const m3 = m[j + 3];
      const a = +(m1 < m0);
      const va = m0 + a * (m1 - m0);
      const b = 2 + +(m3 < m2);
      const vb = m2 + (b - 2) * (m3 - m2);
      const c = +(vb < va);
      const w = a + c * (b - a);
      metric[ns] = va + c * (vb - va);
      from[at + ns] = 2 * w + (ns >> 2);
      labels[at + ns] = label[INCOMING[j + w]];
    }
    this.head = this.head === HISTORY - 1 ? 0 : this.head + 1;
    if (++this.filled === HISTORY) this.decide(BLOCK);
  }

  /** Decides every symbol still held (the signal ended). */
  flush(): void {
    this.decide(this.filled);
  }

  /** Traces the best path back over every symbol held and hands out the oldest `count` labels. */
  private decide(count: number): void {
    const { from, labels, decided, metric } = this;
    let state = 0;
    for (let s = 1; s < STATES; s++) if (metric[s] < metric[state]) state = s;
    // Keep the metrics small (only their differences matter); once a block is enough, as a
    // block of symbols adds little to them.
    const least = metric[state];
    for (let s = 0; s < STATES; s++) metric[s] -= least;
    const n = this.filled;
    let at = this.head;
    for (let k = n - 1; k >= 0; k--) {
      at = at === 0 ? HISTORY - 1 : at - 1;
      decided[k] = labels[at * STATES + state];
      state = from[at * STATES + state];
    }
    this.filled = n - count;
    for (let k = 0; k < count; k++) this.onLabel(decided[k]);
  }
}
