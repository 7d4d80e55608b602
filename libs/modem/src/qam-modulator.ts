// Pulse-shaped passband modulator shared by the fast modem transmitters: complex symbols at the
// baud rate in, 8 kHz 16-bit samples out. The transmit filter is a root-raised cosine evaluated
// at the exact phase of each output sample relative to the symbol clock (a polyphase table),
// so 2400, 1600 and 1200 baud all come out of one routine.
import { CarrierOscillator, rmsForDbm0 } from './carrier.ts';
import { rootRaisedCosine } from './filters.ts';

const RATE = 8000;

/** Where the modulator takes its symbols from: writes re, im into `sym`; false when done. */
export interface SymbolSource {
  nextSymbol(sym: Float64Array): boolean;
}

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
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class PassbandModulator {
  private readonly num: number;
  private readonly den: number;
  private readonly span: number;
  private readonly table: Float64Array;
  private readonly symRe: Float64Array;
  private readonly symIm: Float64Array;
  private head = 0;
  private acc: number;
  private flushLeft = -1;
  private finished = false;
  private readonly gain: number;
  private readonly osc: CarrierOscillator;
  private readonly sym = new Float64Array(2);
  /** A block's baseband, carried up to the carrier in one pass when the block is complete. */
  private bbRe = new Float64Array(160);
  private bbIm = new Float64Array(160);

  constructor(o: ModulatorOptions) {
    const g = gcd(o.baud, RATE);
    this.num = o.baud / g;
    this.den = RATE / g;
    this.span = o.span;
    this.acc = this.den;
    this.table = new Float64Array(this.den * this.span);
    let energy = 0;
    for (let p = 0; p < this.den; p++) {
      for (let i = 0; i < this.span; i++) {
        const v = rootRaisedCosine(p / this.den + i - this.span / 2, o.rolloff);
        this.table[p * this.span + i] = v;
        energy += v * v;
      }
    }
    // Mean power of Re(s(t)·e^{jωt}) is E|a|²/2 · ∫g² over one symbol, ≈ Σg²/den.
    const power = (o.meanEnergy / 2) * (energy / this.den);
    this.gain = rmsForDbm0(o.levelDbm0) / Math.sqrt(power);
    // Each symbol is written twice (at head and head + span), so the filter reads one contiguous
    // run with no wrap test per tap.
    this.symRe = new Float64Array(2 * this.span);
    this.symIm = new Float64Array(2 * this.span);
    this.osc = new CarrierOscillator(o.carrierHz);
  }

  /** True once the last symbol has left the filter. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * Fills `out` with samples, pulling symbols from `source` at the baud rate. Returns the number
   * of samples written: fewer than asked when the source ended and the filter has emptied.
   */
  generate(out: Int16Array, source: SymbolSource): number {
    if (this.finished) return 0;
    if (this.bbRe.length < out.length) {
      this.bbRe = new Float64Array(out.length);
      this.bbIm = new Float64Array(out.length);
    }
    const { span, table, symRe, symIm, sym, den, num, bbRe, bbIm } = this;
    for (let n = 0; n < out.length; n++) {
      if (this.acc >= den) {
        this.acc -= den;
        if (this.flushLeft < 0) {
          if (!source.nextSymbol(sym)) {
            this.flushLeft = span;
            sym[0] = 0;
            sym[1] = 0;
          }
        } else {
          if (this.flushLeft === 0) {
            this.finished = true;
            this.osc.upconvert(bbRe, bbIm, this.gain, out, n);
            return n;
          }
          this.flushLeft--;
          sym[0] = 0;
          sym[1] = 0;
        }
        const head = this.head === 0 ? span - 1 : this.head - 1;
        this.head = head;
        symRe[head] = symRe[head + span] = sym[0];
        symIm[head] = symIm[head + span] = sym[1];
      }
      let re = 0;
      let im = 0;
      const base = this.acc * span;
      const head = this.head;
      for (let i = 0; i < span; i++) {
        const h = table[base + i];
        re += symRe[head + i] * h;
        im += symIm[head + i] * h;
      }
      this.acc += num;
      bbRe[n] = re;
      bbIm[n] = im;
    }
    this.osc.upconvert(bbRe, bbIm, this.gain, out, out.length);
    return out.length;
  }
}
