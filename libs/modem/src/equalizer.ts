// Adaptive complex equaliser for the fast modems: fractionally spaced (T/2) transversal filter
// adapted by normalised LMS, first on the training sequence, then decision-directed.
//
// An update waits for the next output and is made in the same pass over the taps (each
// coefficient loaded and stored once per symbol instead of twice); the order of the arithmetic
// is the one of an update made at once, so the results are the same.

/** Samples a waiting update's delay line survives in the ring (a symbol is two; resyncs add one). */
const SPARE = 4;

export class ComplexEqualizer {
  readonly taps: number;
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  /**
   * Delay line: a ring of taps + SPARE samples written twice (at i and i + ring), so the window
   * is always contiguous and the window a waiting update needs is still there.
   */
  private readonly ring: number;
  private readonly xRe: Float64Array;
  private readonly xIm: Float64Array;
  private pos = 0;
  outRe = 0;
  outIm = 0;
  /** Power of the samples in the window (the NLMS step's normaliser), kept by {@link push}. */
  private power = 0;
  /** An update not yet made: its step and the window it applies to. */
  private pending = false;
  private pendingRe = 0;
  private pendingIm = 0;
  private pendingPos = 0;
  private pushesSince = 0;

  /** Least delay-line power the NLMS step is normalised by, so silence cannot blow it up. */
  private readonly floor: number;

  constructor(taps: number, floor = 1e-6) {
    this.taps = taps;
    this.floor = floor;
    this.ring = taps + SPARE;
    this.cRe = new Float64Array(taps);
    this.cIm = new Float64Array(taps);
    this.xRe = new Float64Array(2 * this.ring);
    this.xIm = new Float64Array(2 * this.ring);
    this.reset();
  }

  /** Clears the delay line and sets the filter to a pure delay of half its length. */
  reset(): void {
    this.cRe.fill(0);
    this.cIm.fill(0);
    this.cRe[this.taps >> 1] = 1;
    this.xRe.fill(0);
    this.xIm.fill(0);
    this.pos = 0;
    this.power = 0;
    this.pending = false;
  }

  /** A copy of the coefficients, re, im interleaved (V.17's short train starts from a long train's). */
  coefficients(): Float64Array {
    this.settle();
    const c = new Float64Array(2 * this.taps);
    for (let i = 0; i < this.taps; i++) {
      c[2 * i] = this.cRe[i];
      c[2 * i + 1] = this.cIm[i];
    }
    return c;
  }

  /** Loads coefficients from {@link coefficients} of an equaliser of the same length. */
  setCoefficients(c: Float64Array): void {
    this.pending = false;
    for (let i = 0; i < this.taps; i++) {
      this.cRe[i] = c[2 * i];
      this.cIm[i] = c[2 * i + 1];
    }
  }

  /** Scales the samples already in the delay line (the receiver's gain changed). */
  scaleInput(f: number): void {
    this.settle();
    for (let i = 0; i < this.xRe.length; i++) {
      this.xRe[i] *= f;
      this.xIm[i] *= f;
    }
    this.power *= f * f;
  }

  /** Shifts one T/2 sample into the delay line. */
  push(re: number, im: number): void {
    if (this.pending && ++this.pushesSince > SPARE - 1) this.settle();
    const { xRe, xIm, taps, ring } = this;
    const pos = this.pos === 0 ? ring - 1 : this.pos - 1;
    this.pos = pos;
    xRe[pos] = re;
    xIm[pos] = im;
    xRe[pos + ring] = re;
    xIm[pos + ring] = im;
    // The power follows the window (the sample leaving it is the one after its end), summed
    // afresh once per turn of the ring so that rounding cannot pile up.
    if (pos === 0) {
      let p = 0;
      for (let i = 0; i < taps; i++) p += xRe[i] * xRe[i] + xIm[i] * xIm[i];
      this.power = p;
    } else {
      const or = xRe[pos + taps];
      const oi = xIm[pos + taps];
      this.power += re * re + im * im - (or * or + oi * oi);
    }
  }

  /** Computes the output for the current delay line into outRe/outIm (making a waiting update first). */
  run(): void {
    const { cRe, cIm, xRe, xIm, taps, pos } = this;
    // Four sums (products of the real and imaginary parts): one sum's chain of dependent
    // additions was what bounded the loop.
    let rr = 0;
    let ii = 0;
    let ri = 0;
    let ir = 0;
    if (this.pending) {
      this.pending = false;
      const gr = this.pendingRe;
      const gi = this.pendingIm;
      const old = this.pendingPos;
      for (let i = 0; i < taps; i++) {
        const ua = xRe[old + i];
        const ub = -xIm[old + i];
        const cr = cRe[i] + (gr * ua - gi * ub);
        const ci = cIm[i] + (gr * ub + gi * ua);
        cRe[i] = cr;
        cIm[i] = ci;
        const a = xRe[pos + i];
        const b = xIm[pos + i];
        rr += cr * a;
        ii += ci * b;
        ri += cr * b;
        ir += ci * a;
      }
    } else {
      for (let i = 0; i < taps; i++) {
        const a = xRe[pos + i];
        const b = xIm[pos + i];
        const cr = cRe[i];
        const ci = cIm[i];
        rr += cr * a;
        ii += ci * b;
        ri += cr * b;
        ir += ci * a;
      }
    }
    this.outRe = rr - ii;
    this.outIm = ri + ir;
  }

  /**
   * The output error (wanted − outRe/outIm) and step size for {@link adapt}: fields rather than
   * arguments, since V8 boxes doubles passed to a call it does not inline (once per symbol here).
   */
  errRe = 0;
  errIm = 0;
  mu = 0;

  /** Normalised LMS step towards the output error in errRe/errIm, for the window {@link run} used; made by the next run. */
  adapt(): void {
    this.settle();
    let p = this.power;
    if (p < this.floor) p = this.floor;
    this.pendingRe = (this.mu * this.errRe) / p;
    this.pendingIm = (this.mu * this.errIm) / p;
    this.pendingPos = this.pos;
    this.pushesSince = 0;
    this.pending = true;
  }

  /** Makes a waiting update now (its window is about to leave the ring, or the coefficients are read). */
  private settle(): void {
    if (!this.pending) return;
    this.pending = false;
    const { cRe, cIm, xRe, xIm, taps } = this;
    const gr = this.pendingRe;
    const gi = this.pendingIm;
    const old = this.pendingPos;
    for (let i = 0; i < taps; i++) {
      const ua = xRe[old + i];
      const ub = -xIm[old + i];
      cRe[i] += gr * ua - gi * ub;
      cIm[i] += gr * ub + gi * ua;
    }
  }
}
