// ASN.1 aligned PER (ITU-T X.691) helpers, only as much as T.38 needs.
import { allocBytes } from './bytes.ts';

/**
 * Bit-level writer for aligned PER; octet-aligned fields call align() first. It writes into one
 * growing byte buffer: every UDPTL datagram of every call is encoded here (tens of thousands a
 * second with a thousand calls), and a byte-by-byte JS array with a copy at the end cost the
 * event loop as much as the sends themselves, plus the garbage.
 */
export class PerWriter {
  private buf: Uint8Array;
  private len = 0;
  private bitPos = 0; // bits used in the last octet, 0 when aligned

  /** `capacity`: the octets expected, to size the buffer once (it grows if needed). */
  constructor(capacity = 64) {
    this.buf = allocBytes(Math.max(8, capacity));
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = allocBytes(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Writes the low `count` bits of `value`, most significant first. */
  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      if (this.bitPos === 0) {
        this.room(1);
        this.buf[this.len++] = 0;
      }
      if ((value >>> i) & 1) this.buf[this.len - 1] |= 0x80 >> this.bitPos;
      this.bitPos = (this.bitPos + 1) & 7;
    }
  }

  align(): void {
    this.bitPos = 0;
  }

  octets(data: Uint8Array): void {
    this.align();
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** X.691 §10.9.3.6/7: unconstrained length determinant, one or two octets below 16K. */
  length(n: number): void {
    this.align();
    this.room(2);
    if (n < 0x80) this.buf[this.len++] = n;
    else if (n < 0x4000) {
      this.buf[this.len++] = 0x80 | (n >> 8);
      this.buf[this.len++] = n & 0xff;
    } else throw new RangeError(`PER length ${n} needs fragmentation, which T.38 never uses`);
  }

  /** Unconstrained length followed by the octets: the encoding of an open type or octet string. */
  lengthAndOctets(data: Uint8Array): void {
    this.length(data.length);
    this.octets(data);
  }

  /** The encoding: a view of the writer's buffer (the writer is not used after this). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Raised on truncated or malformed PER input. */
export class PerError extends Error {
  override name = 'PerError';
}

/** Bit-level reader for aligned PER. */
export class PerReader {
  private readonly data: Uint8Array;
  private pos = 0; // in bits

  constructor(data: Uint8Array) {
    this.data = data;
  }

  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.pos >> 3;
      if (byte >= this.data.length) throw new PerError('truncated PER data');
      v = (v << 1) | ((this.data[byte] >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  align(): void {
    this.pos = (this.pos + 7) & ~7;
  }

  /**
   * A view of the input, not a copy: a received datagram's IFPs are read once and kept a few
   * packets for redundancy, never written to.
   */
  octets(n: number): Uint8Array {
    this.align();
    const start = this.pos >> 3;
    if (start + n > this.data.length) throw new PerError('truncated PER octet string');
    this.pos += n * 8;
    return this.data.subarray(start, start + n);
  }

  /** X.691 §10.9.3.6/7; fragmented lengths (≥16K) are refused, T.38 packets are far smaller. */
  length(): number {
    this.align();
    const first = this.octet();
    if ((first & 0x80) === 0) return first;
    if ((first & 0xc0) === 0x80) return ((first & 0x3f) << 8) | this.octet();
    throw new PerError('fragmented PER length not supported');
  }

  lengthAndOctets(): Uint8Array {
    return this.octets(this.length());
  }

  /** One aligned octet. */
  private octet(): number {
    this.align();
    const i = this.pos >> 3;
    if (i >= this.data.length) throw new PerError('truncated PER octet string');
    this.pos += 8;
    return this.data[i];
  }

  /** Octets left after the current (aligned) position. */
  get remaining(): number {
    return this.data.length - ((this.pos + 7) >> 3);
  }

  get offset(): number {
    return (this.pos + 7) >> 3;
  }
}
