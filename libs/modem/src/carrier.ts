// Carrier oscillator and phase-locked loop shared by the fast modems (V.27 ter, V.29, V.17).

const RATE = 8000;

/** cos/sin of 2π·i/8000: a whole-hertz carrier at 8 kHz is then exact and periodic. */
const COS = new Float64Array(RATE);
const SIN = new Float64Array(RATE);
for (let i = 0; i < RATE; i++) {
  COS[i] = Math.cos((2 * Math.PI * i) / RATE);
  SIN[i] = Math.sin((2 * Math.PI * i) / RATE);
}

/** A whole-hertz oscillator at 8000 samples/s (V.29's 1700 Hz, V.27 ter's and V.17's 1800 Hz). */
export class CarrierOscillator {
  private index = 0;
  cos = 1;
  sin = 0;
  private readonly hz: number;

  constructor(hz: number) {
    if (!Number.isInteger(hz) || hz <= 0 || hz >= RATE / 2) throw new RangeError(`carrier ${hz} Hz is not a whole frequency below 4 kHz`);
    this.hz = hz;
  }

  /**
   * Mixes `x` with the carrier: for each sample, moves to the next and writes 2·x·cos and
   * −2·x·sin (the baseband before the matched filter) at `at` and `at + copy` of re/im, `at`
   * counting from `start` modulo `mask + 1`. One call per block keeps the oscillator's index in
   * a register.
   */
  mix(x: Int16Array, re: Float64Array, im: Float64Array, start: number, mask: number, copy: number): void {
    let index = this.index;
    const hz = this.hz;
    for (let j = 0; j < x.length; j++) {
      const c = COS[index];
      const s = SIN[index];
      index += hz;
      if (index >= RATE) index -= RATE;
      const m = (start + j) & mask;
      const br = 2 * x[j] * c;
      const bi = -2 * x[j] * s;
      re[m] = br;
      im[m] = bi;
      re[m + copy] = br;
      im[m + copy] = bi;
    }
    this.index = index;
  }

  /**
   * The passband of a block: for each of the first `count` samples of baseband `re`, `im`, moves
   * to the next sample and writes round(gain·(re·cos − im·sin)), clipped to 16 bits, to `out`.
   * One call per block keeps the oscillator's index in a register, as {@link mix} does.
   */
  upconvert(re: Float64Array, im: Float64Array, gain: number, out: Int16Array, count: number): void {
    let index = this.index;
    const hz = this.hz;
    for (let j = 0; j < count; j++) {
      const c = COS[index];
      const s = SIN[index];
      index += hz;
      if (index >= RATE) index -= RATE;
      const v = Math.round(gain * (re[j] * c - im[j] * s));
      out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.index = index;
  }

  /** Moves to the next sample; `cos` and `sin` then hold the carrier's value at that sample. */
  step(): void {
    this.cos = COS[this.index];
    this.sin = SIN[this.index];
    this.index += this.hz;
    if (this.index >= RATE) this.index -= RATE;
  }

  reset(): void {
    this.index = 0;
  }
}

/** sin over one turn in SINE_STEPS steps (and a quarter turn more, for cos), for {@link CarrierLoop.rotate}. */
const SINE_STEPS = 4096;
// Two entries past the quarter turn: rounding can leave the index at exactly one whole turn.
const SINE = new Float64Array(SINE_STEPS + SINE_STEPS / 4 + 2);
for (let i = 0; i < SINE.length; i++) SINE[i] = Math.sin((2 * Math.PI * i) / SINE_STEPS);

/**
 * Decision-directed second-order carrier phase loop, run once per symbol after the equaliser:
 * the symbol is rotated by −phase, compared with its decision, and the angle between them
 * drives the phase and the frequency (radians per symbol).
 */
export class CarrierLoop {
  phase = 0;
  freq = 0;
  alpha: number;
  beta: number;

  constructor(alpha: number) {
    this.alpha = alpha;
    this.beta = (alpha * alpha) / 4;
  }

  setGain(alpha: number): void {
    this.alpha = alpha;
    this.beta = (alpha * alpha) / 4;
  }

  reset(): void {
    this.phase = 0;
    this.freq = 0;
  }

  /** Angle error of received (zr, zi) against decision (dr, di); updates the loop. */
  update(zr: number, zi: number, dr: number, di: number): void {
    const m = dr * dr + di * di;
    if (m === 0) return;
    // z ≈ d·e^{jε}: Im(z·conj(d))/|d|² ≈ ε for small ε.
    let e = (zi * dr - zr * di) / m;
    if (e > 0.5) e = 0.5;
    else if (e < -0.5) e = -0.5;
    this.freq += this.beta * e;
    this.phase += this.alpha * e;
  }

  /** cos and sin of the phase, as {@link rotate} left them. */
  cos = 1;
  sin = 0;

  /**
   * Sets cos and sin from the phase, by linear interpolation in a table: within 3e-7 of the
   * exact values, far below any signal's phase noise, at a fraction of Math.cos and Math.sin's
   * cost (which took a tenth of a V.29 receiver's time, once per symbol).
   */
  rotate(): void {
    // The phase may be past ±π until the next advance (a stage added an estimate to it).
    let x = this.phase * (SINE_STEPS / (2 * Math.PI));
    x -= Math.floor(x / SINE_STEPS) * SINE_STEPS;
    const i = Math.floor(x);
    const f = x - i;
    const s0 = SINE[i];
    const c0 = SINE[i + SINE_STEPS / 4];
    this.sin = s0 + f * (SINE[i + 1] - s0);
    this.cos = c0 + f * (SINE[i + SINE_STEPS / 4 + 1] - c0);
  }

  /** Advances by one symbol's worth of frequency; keeps the phase in (−π, π]. */
  advance(): void {
    this.phase += this.freq;
    if (this.phase > Math.PI) this.phase -= 2 * Math.PI;
    else if (this.phase <= -Math.PI) this.phase += 2 * Math.PI;
  }
}

/** G.711's reference: a sine of full-scale peak (±32768 linear) is +3.14 dBm0. */
export function rmsForDbm0(dbm0: number): number {
  return (32768 / Math.SQRT2) * 10 ** ((dbm0 - 3.14) / 20);
}

/** Level in dBm0 of a mean-square value of 16-bit linear samples. */
export function dbm0ForMeanSquare(meanSquare: number): number {
  if (meanSquare <= 0) return -Infinity;
  return 10 * Math.log10(meanSquare / ((32768 * 32768) / 2)) + 3.14;
}
