// Pulse-shaped passband modulator shared by the fast modem transmitters: symbols at the baud
// rate in, 8 kHz 16-bit samples out. The transmit filter is a root-raised cosine evaluated at the
// exact phase of each output sample relative to the symbol clock, so 2400, 1600 and 1200 baud all
// come out of one routine.
//
// Why it is built from a table of whole passband pulses: the symbol clock and a whole-hertz
// carrier at 8 kHz repeat together (every 40 samples for 1800 Hz at 2400, 1600 and 1200 baud,
// every 80 for V.29's 1700 Hz), and a transmitter sends a few known points (V.17 14400: 128 and
// its 4 training elements). So each point's contribution to the line, pulse times carrier, is one
// of a few rows per process, and a symbol costs one row added into the output ring (40 additions
// at 2400 baud) instead of 2 multiply-adds per filter tap for each of its 3⅓ samples (80) plus a
// separate carrier pass.
import { rmsForDbm0 } from './carrier.ts';
import { rootRaisedCosine } from './filters.ts';

const RATE = 8000;

export interface ModulatorOptions {
  baud: number;
  carrierHz: number;
  rolloff: number;
  /** Filter length in symbols (even). */
  span: number;
  /** Mean energy of the data constellation, to give the data its level. */
  meanEnergy: number;
  /** Transmit level of the data signal in dBm0. */
  levelDbm0: number;
  /** Every point the transmitter may send, as re, im pairs; {@link PassbandModulator.symbols} index it. */
  alphabet: Float64Array;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The passband pulses of one modem's alphabet: shared by every transmitter of the process. */
interface PulseTable {
  /** Symbols per period of symbol clock and carrier together. */
  phases: number;
  /** Samples a pulse spans (the longest over the phases; shorter rows end in zeros). */
  length: number;
  /** Row (point·phases + phase)·length: the point's contribution to the samples from its arrival on, unit gain. */
  rows: Float32Array;
  /** Whether a point's rows are made (on its first use: see {@link fillRows}). */
  made: Uint8Array;
  /** The pulse times the carrier's cosine and sine, by phase·length + sample: a row is re·cos − im·sin. */
  cos: Float64Array;
  sin: Float64Array;
  alphabet: Float64Array;
  /** Samples from the arrival of the symbol at each phase to the next symbol's. */
  gaps: Int32Array;
  /** Mean power of the data signal at unit gain. */
  power: number;
}

const tables = new Map<string, PulseTable>();

/**
 * Builds the rows by following the sample clock as a per-sample filter would: at sample n the
 * symbol clock's phase is acc/den, the symbol that arrived i symbols ago is weighted by the root
 * raised cosine at acc/den + i − span/2, and the carrier is at n·hz/8000 turns. A row is a
 * symbol's weight from its arrival until span more symbols arrived, times Re(point·e^{jωn}).
 * Float32 rows: their rounding (about 1e-7 of the peak) is far below the 16-bit output's step.
 */
function pulseTable(o: ModulatorOptions): PulseTable {
  const key = `${o.baud}/${o.carrierHz}/${o.rolloff}/${o.span}/${o.meanEnergy}/${o.alphabet.join(',')}`;
  const known = tables.get(key);
  if (known) return known;
  const g = gcd(o.baud, RATE);
  const num = o.baud / g;
  const den = RATE / g;
  const { span } = o;
  const taps = new Float64Array(den * span);
  let energy = 0;
  for (let p = 0; p < den; p++) {
    for (let i = 0; i < span; i++) {
      const v = rootRaisedCosine(p / den + i - span / 2, o.rolloff);
      taps[p * span + i] = v;
      energy += v * v;
    }
  }
  const carrierPeriod = RATE / gcd(o.carrierHz, RATE);
  const period = (den * carrierPeriod) / gcd(den, carrierPeriod);
  // The symbol clock over a period and the longest pulse after it (a pulse starting late in the
  // period runs into the next): acc at each sample, and whether a symbol arrives there. The
  // clock starts with a symbol due.
  const samples = period + Math.ceil(((span + 1) * den) / num) + 1;
  const accAt = new Int32Array(samples);
  const arrives = new Uint8Array(samples);
  let acc = den;
  for (let n = 0; n < accAt.length; n++) {
    if (acc >= den) {
      acc -= den;
      arrives[n] = 1;
    }
    accAt[n] = acc;
    acc += num;
  }
  const starts: number[] = [];
  for (let n = 0; n < period; n++) if (arrives[n]) starts.push(n);
  const spans = starts.map((n0) => {
    let later = 0;
    let n = n0 + 1;
    for (; ; n++) if (arrives[n] && ++later === span) break;
    return n - n0;
  });
  // A multiple of 4, for the unrolled addition of a row.
  const length = (Math.max(...spans) + 3) & ~3;
  const points = o.alphabet.length / 2;
  const cos = new Float64Array(starts.length * length);
  const sin = new Float64Array(starts.length * length);
  for (let ph = 0; ph < starts.length; ph++) {
    const n0 = starts[ph];
    let i = 0;
    for (let k = 0; k < spans[ph]; k++) {
      const n = n0 + k;
      if (k > 0 && arrives[n]) i++;
      const h = taps[accAt[n] * span + i];
      const w = (2 * Math.PI * ((n * o.carrierHz) % RATE)) / RATE;
      cos[ph * length + k] = h * Math.cos(w);
      sin[ph * length + k] = h * Math.sin(w);
    }
  }
  const gaps = Int32Array.from(starts, (n0, ph) => (ph + 1 < starts.length ? starts[ph + 1] : period + starts[0]) - n0);
  const table: PulseTable = {
    phases: starts.length, length, gaps, cos, sin, alphabet: o.alphabet.slice(),
    rows: new Float32Array(points * starts.length * length), made: new Uint8Array(points),
    // Mean power of Re(s(t)·e^{jωt}) is E|a|²/2 · ∫g² over one symbol, ≈ Σg²/den.
    power: (o.meanEnergy / 2) * (energy / den),
  };
  tables.set(key, table);
  return table;
}

/**
 * Makes a point's rows when a transmitter first sends it, rather than all of them with the
 * table: V.17 14400's 132 points are 63 000 values, several ms of a call's first turn while the
 * code is cold, where each point alone is a few hundred.
 */
function fillRows(t: PulseTable, point: number): void {
  const { cos, sin, rows } = t;
  const re = t.alphabet[2 * point];
  const im = t.alphabet[2 * point + 1];
  const n = t.phases * t.length;
  const base = point * n;
  for (let j = 0; j < n; j++) rows[base + j] = re * cos[j] - im * sin[j];
  t.made[point] = 1;
}

export class PassbandModulator {
  private readonly span: number;
  private readonly table: PulseTable;
  private readonly rows: Float32Array;
  private readonly made: Uint8Array;
  private readonly gaps: Int32Array;
  private readonly phases: number;
  private readonly length: number;
  /**
   * The line signal being summed, from the block's first sample on: a block's samples, then the
   * tails of its last pulses, which move to the front for the next block.
   */
  private sum: Float64Array;
  private phase = 0;
  /** The next symbol's arrival, in samples from the next block's first (a symbol is due first). */
  private next = 0;
  private flushLeft = -1;
  private finished = false;
  private readonly gain: number;

  constructor(o: ModulatorOptions) {
    this.span = o.span;
    const t = pulseTable(o);
    this.table = t;
    this.rows = t.rows;
    this.made = t.made;
    this.gaps = t.gaps;
    this.phases = t.phases;
    this.length = t.length;
    this.gain = rmsForDbm0(o.levelDbm0) / Math.sqrt(t.power);
    this.sum = new Float64Array(160 + t.length);
  }

  /** True once the last symbol has left the filter. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * The symbols the transmitter writes for the next block, in order: indices in the alphabet, −1
   * once it has no more (what follows a −1 is not read). The transmitter fills them in its own
   * loop, so that the call that makes each symbol is not shared by every kind of modem in the
   * process (V8 then inlines it: a call site that sees three classes is slower).
   */
  symbols = new Int32Array(64);

  /** How many symbols the next `count` samples take (0 once the transmitter has had its last). */
  symbolsDue(count: number): number {
    if (this.flushLeft >= 0 || this.finished) return 0;
    const { gaps, phases } = this;
    let due = 0;
    let phase = this.phase;
    for (let n = this.next; n < count; n += gaps[phase], phase = phase + 1 === phases ? 0 : phase + 1) due++;
    if (due > this.symbols.length) this.symbols = new Int32Array(due);
    return due;
  }

  /**
   * Fills `out` with samples from the symbols given through {@link symbols} after
   * {@link symbolsDue}`(out.length)`. Returns the number of samples written: fewer than asked
   * when the transmitter ended and the filter has emptied.
   */
  render(out: Int16Array): number {
    if (this.finished) return 0;
    const { rows, gaps, length, phases, symbols } = this;
    if (this.sum.length < out.length + length) {
      const grown = new Float64Array(out.length + length);
      grown.set(this.sum.subarray(0, length));
      this.sum = grown;
    }
    const sum = this.sum;
    let count = out.length;
    let n = this.next;
    let phase = this.phase;
    let taken = 0;
    while (n < count) {
      let sym = -1;
      if (this.flushLeft < 0) {
        sym = symbols[taken++];
        if (sym < 0) this.flushLeft = this.span;
      } else if (this.flushLeft === 0) {
        this.finished = true;
        count = n;
        break;
      } else {
        this.flushLeft--;
      }
      if (sym >= 0) {
        if (this.made[sym] === 0) fillRows(this.table, sym);
        const r = (sym * phases + phase) * length;
        for (let k = 0; k < length; k += 4) {
          const m = n + k;
          const q = r + k;
          sum[m] += rows[q];
          sum[m + 1] += rows[q + 1];
          sum[m + 2] += rows[q + 2];
          sum[m + 3] += rows[q + 3];
        }
      }
      n += gaps[phase];
      if (++phase === phases) phase = 0;
    }
    this.next = n - count;
    this.phase = phase;
    const gain = this.gain;
    for (let j = 0; j < count; j++) {
      const v = Math.round(gain * sum[j]);
      out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    sum.copyWithin(0, count, count + length);
    sum.fill(0, length, count + length);
    return count;
  }
}
