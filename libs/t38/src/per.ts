// ASN.1 aligned PER (ITU-T X.691) helpers, only as much as T.38 needs.

/** Bit-level writer for aligned PER; octet-aligned fields call align() first. */
export class PerWriter {
  private bytes: number[] = [];
  private bitPos = 0; // bits used in the last octet, 0 when aligned

  /** Writes the low `count` bits of `value`, most significant first. */
  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      if (this.bitPos === 0) this.bytes.push(0);
      if ((value >>> i) & 1) this.bytes[this.bytes.length - 1] |= 0x80 >> this.bitPos;
      this.bitPos = (this.bitPos + 1) & 7;
    }
  }

  align(): void {
    this.bitPos = 0;
  }

  octets(data: Uint8Array): void {
    this.align();
    for (const b of data) this.bytes.push(b);
  }

  /** X.691 §10.9.3.6/7: unconstrained length determinant, one or two octets below 16K. */
  length(n: number): void {
    this.align();
    if (n < 0x80) this.bytes.push(n);
    else if (n < 0x4000) this.bytes.push(0x80 | (n >> 8), n & 0xff);
    else throw new RangeError(`PER length ${n} needs fragmentation, which T.38 never uses`);
  }

  /** Unconstrained length followed by the octets: the encoding of an open type or octet string. */
  lengthAndOctets(data: Uint8Array): void {
    this.length(data.length);
    this.octets(data);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
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

  octets(n: number): Uint8Array {
    this.align();
    const start = this.pos >> 3;
    if (start + n > this.data.length) throw new PerError('truncated PER octet string');
    this.pos += n * 8;
    return this.data.slice(start, start + n);
  }

  /** X.691 §10.9.3.6/7; fragmented lengths (≥16K) are refused, T.38 packets are far smaller. */
  length(): number {
    this.align();
    const first = this.octets(1)[0];
    if ((first & 0x80) === 0) return first;
    if ((first & 0xc0) === 0x80) return ((first & 0x3f) << 8) | this.octets(1)[0];
    throw new PerError('fragmented PER length not supported');
  }

  lengthAndOctets(): Uint8Array {
    return this.octets(this.length());
  }

  /** Octets left after the current (aligned) position. */
  get remaining(): number {
    return this.data.length - ((this.pos + 7) >> 3);
  }

  get offset(): number {
    return (this.pos + 7) >> 3;
  }
}
