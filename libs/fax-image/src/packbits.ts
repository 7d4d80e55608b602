// PackBits (TIFF 6.0 §9), read-only: some programs store fax pages this way.

/** Expands PackBits data until `expected` bytes are produced or the input ends. */
export function unpackBits(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0;
  let o = 0;
  while (i < src.length && o < expected) {
    const n = (src[i++] << 24) >> 24;
    if (n >= 0) {
      const len = Math.min(n + 1, expected - o, src.length - i);
      out.set(src.subarray(i, i + len), o);
      i += n + 1;
      o += len;
    } else if (n !== -128) {
      const len = Math.min(1 - n, expected - o);
      out.fill(src[i++], o, o + len);
      o += len;
    }
  }
  return out;
}
