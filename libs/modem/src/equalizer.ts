// Adaptive complex equaliser for the fast modems: fractionally spaced (T/2) transversal filter
// adapted by normalised LMS, first on the training sequence, then decision-directed.

export class ComplexEqualizer {
  readonly taps: number;
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  /** Delay line written twice (at i and i + taps) so the window is always contiguous. */
  private readonly xRe: Float64Array;
  private readonly xIm: Float64Array;
  private pos = 0;
  outRe = 0;
  outIm = 0;
  /** Power of the delay line as {@link run} found it (the NLMS step's normaliser). */
  private power = 0;

  /** Least delay-line power the NLMS step is normalised by, so silence cannot blow it up. */
  private readonly floor: number;

  constructor(taps: number, floor = 1e-6) {
    this.taps = taps;
    this.floor = floor;
    this.cRe = new Float64Array(taps);
    this.cIm = new Float64Array(taps);
    this.xRe = new Float64Array(2 * taps);
    this.xIm = new Float64Array(2 * taps);
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
  }

  /** A copy of the coefficients, re, im interleaved (V.17's short train starts from a long train's). */
  coefficients(): Float64Array {
    const c = new Float64Array(2 * this.taps);
    for (let i = 0; i < this.taps; i++) {
      c[2 * i] = this.cRe[i];
      c[2 * i + 1] = this.cIm[i];
    }
    return c;
  }

  /** Loads coefficients from {@link coefficients} of an equaliser of the same length. */
  setCoefficients(c: Float64Array): void {
    for (let i = 0; i < this.taps; i++) {
      this.cRe[i] = c[2 * i];
      this.cIm[i] = c[2 * i + 1];
    }
  }

  /** Scales the samples already in the delay line (the receiver's gain changed). */
  scaleInput(f: number): void {
    for (let i = 0; i < this.xRe.length; i++) {
      this.xRe[i] *= f;
      this.xIm[i] *= f;
    }
  }

  /** Shifts one T/2 sample into the delay line. */
  push(re: number, im: number): void {
    this.pos = this.pos === 0 ? this.taps - 1 : this.pos - 1;
    this.xRe[this.pos] = re;
    this.xIm[this.pos] = im;
    this.xRe[this.pos + this.taps] = re;
    this.xIm[this.pos + this.taps] = im;
  }

  /** Computes the output for the current delay line into outRe/outIm. */
  run(): void {
    const { cRe, cIm, xRe, xIm, taps, pos } = this;
    let re = 0;
    let im = 0;
    let p = 0;
    for (let i = 0; i < taps; i++) {
      const a = xRe[pos + i];
      const b = xIm[pos + i];
      re += cRe[i] * a - cIm[i] * b;
      im += cRe[i] * b + cIm[i] * a;
      p += a * a + b * b;
    }
    this.outRe = re;
    this.outIm = im;
    this.power = p;
  }

  /**
   * The output error (wanted − outRe/outIm) and step size for {@link adapt}: fields rather than
   * arguments, since V8 boxes doubles passed to a call it does not inline (once per symbol here).
   */
  errRe = 0;
  errIm = 0;
  mu = 0;

  /** Normalised LMS step towards the output error in errRe/errIm, after {@link run} on the same delay line. */
  adapt(): void {
    const { cRe, cIm, xRe, xIm, taps, pos, errRe: eRe, errIm: eIm, mu } = this;
    let p = this.power;
    if (p < this.floor) p = this.floor;
    const gr = (mu * eRe) / p;
    const gi = (mu * eIm) / p;
    for (let i = 0; i < taps; i++) {
      const a = xRe[pos + i];
      const b = -xIm[pos + i];
      cRe[i] += gr * a - gi * b;
      cIm[i] += gr * b + gi * a;
    }
  }
}
