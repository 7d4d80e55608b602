import { REVERSED_BITS } from './bit-writer.ts';
import type { BitOrder } from './t4-encode.ts';

/** Reads code words MSB first at any bit position; the copy carries zero padding so peeks never bounds-check. */
export class BitReader {
  readonly d: Uint8Array;
  /** The same bytes for big-endian 32-bit reads (code words are MSB first). */
  readonly view: DataView;
  /** Bit position of the next unread bit. */
  pos = 0;
  /** Number of real data bits. */
  readonly end: number;

  constructor(data: Uint8Array, bitOrder: BitOrder = 'msb-first') {
    // Decoders read 32 bits at pos without bounds checks and stop within a few codes of the end;
    // the zero padding keeps every such read inside the buffer (DataView reads would throw).
    const d = new Uint8Array(data.length + 16);
    if (bitOrder === 'lsb-first') {
      for (let i = 0; i < data.length; i++) d[i] = REVERSED_BITS[data[i]];
    } else {
      d.set(data);
    }
    this.d = d;
    this.view = new DataView(d.buffer, d.byteOffset, d.length);
    this.end = data.length * 8;
  }

  /** The next n bits (n <= 24) without consuming them; zeros past the end. */
  peek(n: number): number {
    const p = this.pos;
    const d = this.d;
    const i = p >>> 3;
    return (((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) << (p & 7)) >>> (32 - n);
  }

  /** Number of consecutive 0 bits from pos, capped at the end of the data. */
  zeros(): number {
    const d = this.d;
    let p = this.pos;
    while (p < this.end) {
      const i = p >>> 3;
      const w = ((((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) << (p & 7)) >>> 8);
      if (w !== 0) return Math.min(p + Math.clz32(w) - 8, this.end) - this.pos;
      p += 24;
    }
    return this.end - this.pos;
  }

  /**
   * Moves pos to the start of the next EOL (eleven or more 0s then a 1, T.4 §4.1.2).
   * @returns false when the data ends first.
   */
  seekEol(): boolean {
    for (;;) {
      const z = this.zeros();
      if (this.pos + z >= this.end) {
        this.pos = this.end;
        return false;
      }
      if (z >= 11) return true;
      this.pos += z + 1;
    }
  }
}
