/** The buffer BitWriter.reusing() hands out again, at most MAX_SPARE bytes (a few pages' worth). */
let spare: Uint8Array | undefined;
const MAX_SPARE = 4 << 20;

/** Appends code words MSB first into a growable byte buffer. */
export class BitWriter {
  buf: Uint8Array;
  /** Whole bytes written. */
  length = 0;
  /** Pending bits (fewer than 16) in the low bits of acc; hot loops copy these to locals. */
  acc = 0;
  nbits = 0;

  constructor(initialBytes = 4096, buf?: Uint8Array) {
    this.buf = buf && buf.length >= initialBytes ? buf : new Uint8Array(Math.max(16, initialBytes));
  }

  /**
   * A writer on the buffer the last reused writer gave back with release(), when it is big
   * enough: a page's writer wants ~120 KB, and a fresh one per page is zeroed and later
   * collected for nothing (every byte is written before it is read, and finish() copies out).
   */
  static reusing(initialBytes: number): BitWriter {
    const w = new BitWriter(initialBytes, spare);
    spare = undefined;
    return w;
  }

  /** Gives the buffer back for the next reusing() writer; the writer must not be used after. */
  release(): void {
    if (this.buf.length <= MAX_SPARE) spare = this.buf;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.length * 8 + this.nbits;
  }

  /** Writes the low `len` bits of `code` (len <= 16). */
  put(code: number, len: number): void {
    // Up to 15 pending bits plus 16 new ones fit in 31 bits; flush two bytes at a time.
    const acc = (this.acc << len) | code;
    let n = this.nbits + len;
    if (n >= 16) {
      if (this.length + 4 > this.buf.length) this.grow();
      n -= 16;
      const v = acc >>> n;
      this.buf[this.length] = v >>> 8;
      this.buf[this.length + 1] = v;
      this.length += 2;
      this.acc = acc & ((1 << n) - 1);
    } else {
      this.acc = acc;
    }
    this.nbits = n;
  }

  /** Writes `count` zero bits (fill). */
  zeros(count: number): void {
    while (count > 16) {
      this.put(0, 16);
      count -= 16;
    }
    if (count > 0) this.put(0, count);
  }

  /** Pads with zero bits up to the next byte boundary. */
  alignByte(): void {
    if (this.nbits & 7) this.put(0, 8 - (this.nbits & 7));
  }

  /** The bytes written, the last one zero-padded. */
  finish(): Uint8Array {
    this.alignByte();
    if (this.nbits === 8) {
      if (this.length + 4 > this.buf.length) this.grow();
      this.buf[this.length++] = this.acc;
      this.acc = 0;
      this.nbits = 0;
    }
    return this.buf.slice(0, this.length);
  }

  /** Guarantees room for `bytes` more bytes, for loops that write `buf` directly. */
  reserve(bytes: number): void {
    while (this.length + bytes + 4 > this.buf.length) this.grow();
  }

  private grow(): void {
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

/** Byte values with their bit order reversed: converts between TIFF FillOrder 1 and 2. */
export const REVERSED_BITS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
    t[i] = r;
  }
  return t;
})();

/** A copy of `data` with each byte's bit order reversed. */
export function reverseBits(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = REVERSED_BITS[data[i]];
  return out;
}
