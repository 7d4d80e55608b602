// TIFF LZW (TIFF 6.0 §13), read-only: scanners and image editors store bilevel pages this way.

/** Expands TIFF LZW data (MSB-first codes, 9..12 bits, early change) into `expected` bytes at most. */
export function unLzw(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  const prefix = new Uint16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  const CLEAR = 256;
  const EOI = 257;
  let next = 258;
  let width = 9;
  let bitPos = 0;
  const totalBits = src.length * 8;
  let o = 0;
  let old = -1;
  const read = (): number => {
    if (bitPos + width > totalBits) return EOI;
    let v = 0;
    for (let k = 0; k < width; k++) {
      const b = bitPos + k;
      v = (v << 1) | ((src[b >> 3] >> (7 - (b & 7))) & 1);
    }
    bitPos += width;
    return v;
  };
  /** Writes the string of `code`, walking its prefix chain backwards (bytes past `expected` are dropped). */
  const emit = (code: number): void => {
    const len = length[code];
    let c = code;
    for (let k = len - 1; k >= 0; k--) {
      if (o + k < expected) out[o + k] = suffix[c];
      c = prefix[c];
    }
    o += len;
  };
  while (o < expected) {
    const code = read();
    if (code === EOI) break;
    if (code === CLEAR) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (old < 0) {
      if (code > 255) throw new Error('LZW data starts with an undefined code');
      emit(code);
      old = code;
      continue;
    }
    if (code > next) throw new Error(`LZW code ${code} beyond the table (${next})`);
    const known = code < next;
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = known ? first[code] : first[old];
      first[next] = first[old];
      length[next] = length[old] + 1;
      next++;
      // §13: the code width grows one code early (at 511, 1023, 2047).
      if (next + 1 >= 1 << width && width < 12) width++;
    }
    emit(code);
    old = code;
  }
  return out;
}
