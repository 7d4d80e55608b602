// Self-synchronising scramblers of the fast fax modems.

/**
 * V.29 and V.17, scrambler clause: scrambler and descrambler with generating polynomial 1 + x^-18 + x^-23.
 * The register holds the last 23 line bits, the most recent in bit 0.
 */
export class V29Scrambler {
  private reg = 0;

  /** Scrambles one data bit into one line bit. */
  scramble(bit: number): number {
    const out = (bit ^ (this.reg >>> 17) ^ (this.reg >>> 22)) & 1;
    this.reg = ((this.reg << 1) | out) & 0x7fffff;
    return out;
  }

  /** Descrambles one line bit into one data bit. */
  descramble(bit: number): number {
    const out = (bit ^ (this.reg >>> 17) ^ (this.reg >>> 22)) & 1;
    this.reg = ((this.reg << 1) | bit) & 0x7fffff;
    return out;
  }

  /** Scrambles the `n` data bits of `bits` (the first in time in bit 0) into as many line bits, in the same order. */
  scrambleBits(bits: number, n: number): number {
    let reg = this.reg;
    let out = 0;
    for (let j = 0; j < n; j++) {
      const b = ((bits >>> j) ^ (reg >>> 17) ^ (reg >>> 22)) & 1;
      reg = ((reg << 1) | b) & 0x7fffff;
      out |= b << j;
    }
    this.reg = reg;
    return out;
  }

  reset(): void {
    this.reg = 0;
  }

  /** Sets the register (most recent line bit in bit 0): V.17 starts its training from a given state. */
  preset(state: number): void {
    this.reg = state & 0x7fffff;
  }
}

/**
 * V.27 ter, scrambler clause: scrambler 1 + x^-6 + x^-7 with its guard against repeating patterns: each line
 * bit is compared with the line bits 8, 9 and 12 before it; a counter counts the bits for which
 * at least one comparison shows equality and is cleared when none does; when it reaches 33 the
 * next bit is inverted and the counter restarts. The descrambler keeps the same counter over
 * the received line bits and undoes the inversion.
 */
export class V27terScrambler {
  private reg = 0;
  private count = 0;

  private guard(line: number): number {
    if (this.count >= 33) {
      this.count = 0;
      return 1;
    }
    const r = this.reg;
    if ((((r >>> 7) ^ line) & ((r >>> 8) ^ line) & ((r >>> 11) ^ line) & 1) !== 0) this.count = 0;
    else this.count++;
    return 0;
  }

  scramble(bit: number): number {
    let out = (bit ^ (this.reg >>> 5) ^ (this.reg >>> 6)) & 1;
    if (this.count >= 33) {
      out ^= 1;
      this.count = 0;
    } else {
      const r = this.reg;
      if ((((r >>> 7) ^ out) & ((r >>> 8) ^ out) & ((r >>> 11) ^ out) & 1) !== 0) this.count = 0;
      else this.count++;
    }
    this.reg = ((this.reg << 1) | out) & 0x1fff;
    return out;
  }

  /**
   * V.27 ter Table 3 segment 4: the scrambler starts the equaliser conditioning pattern from
   * the state 0011110, listed from the first delay stage (the most recent bit) on.
   */
  presetForTraining(): void {
    this.reg = 0b0111100;
    this.count = 0;
  }

  descramble(line: number): number {
    let out = (line ^ (this.reg >>> 5) ^ (this.reg >>> 6)) & 1;
    out ^= this.guard(line);
    this.reg = ((this.reg << 1) | line) & 0x1fff;
    return out;
  }

  reset(): void {
    this.reg = 0;
    this.count = 0;
  }
}
