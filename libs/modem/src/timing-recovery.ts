// Symbol timing recovery for the fast modems: Gardner's timing error detector on T/2 samples
// (insensitive to carrier phase, so it can lock before the carrier does) driving a second-order
// loop that moves the receiver's sampling instant and rate.

export class GardnerTiming {
  /** Relative correction of the sampling interval (negative = samples closer together). */
  rate = 0;
  kp: number;
  ki: number;
  private power = 0;

  constructor(kp: number, ki: number) {
    this.kp = kp;
    this.ki = ki;
  }

  setGains(kp: number, ki: number): void {
    this.kp = kp;
    this.ki = ki;
  }

  reset(): void {
    this.rate = 0;
    this.power = 0;
  }

  /** The receiver's gain changed by `factor` (amplitude): the power reference follows. */
  rescale(factor: number): void {
    this.power *= factor * factor;
  }

  /**
   * Timing error from the previous on-time sample p, the sample half a symbol later m, and the
   * current on-time sample c. Returns the shift of the next sampling instant, in symbols
   * (negative = earlier), and updates `rate`.
   */
  update(pr: number, pi: number, mr: number, mi: number, cr: number, ci: number): number {
    this.power += 0.1 * (cr * cr + ci * ci + mr * mr + mi * mi - this.power);
    // Late sampling puts the mid sample past the crossing, on the side of the current symbol.
    let e = ((cr - pr) * mr + (ci - pi) * mi) / (this.power + 1e-9);
    if (e > 1) e = 1;
    else if (e < -1) e = -1;
    this.rate -= this.ki * e;
    return -this.kp * e;
  }
}
