// Rows as "changing elements" (T.4 §4.2.1.3.1): the positions where the colour differs from the
// pixel to the left, starting from an imaginary white pixel before the row. Both codecs and the
// transcoder work on these lists, so a row is scanned or painted once.

/**
 * Writes the changing elements of the row at `off` into `out` and returns how many there are.
 * `out` must hold width + 4 entries; the caller adds sentinels.
 */
export function rowChanges(data: Uint8Array, off: number, width: number, out: Int32Array): number {
  const end = off + ((width + 7) >> 3);
  let n = 0;
  let flip = 0;
  let i = off;
  let b = data[i];
  for (;;) {
    // Skip whole bytes of the current colour.
    while ((b ^ flip) === 0) {
      if (++i >= end) return n;
      b = data[i];
    }
    const x = ((i - off) << 3) + Math.clz32((b ^ flip) & 0xff) - 24;
    if (x >= width) return n;
    out[n++] = x;
    flip ^= 0xff;
    // Hide the bits left of x so the next search starts at x + 1 in the new colour.
    const keep = 0xff >> (x & 7);
    b = (b & keep) | ((flip & ~keep) & 0xff);
  }
}

/** Within-byte prefix XOR (MSB first): bit i of the result is the XOR of bits 0..i of the input. */
const PREFIX_XOR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    let acc = 0;
    let out = 0;
    for (let b = 7; b >= 0; b--) {
      acc ^= (v >> b) & 1;
      out |= acc << b;
    }
    t[v] = out;
  }
  return t;
})();

/**
 * Paints black the runs described by `changes[0..n)` into the (white) row at `off`.
 * Marks each change with one bit, then a prefix XOR along the row turns marks into runs:
 * cost is one store per change plus one table lookup per byte, however short the runs.
 */
export function paintRow(data: Uint8Array, off: number, width: number, changes: Int32Array, n: number): void {
  if (n === 0) return;
  for (let k = 0; k < n; k++) {
    const x = changes[k];
    if (x < width) data[off + (x >> 3)] ^= 0x80 >> (x & 7);
  }
  const first = off + (changes[0] >> 3);
  const end = off + ((width + 7) >> 3);
  let carry = 0;
  for (let i = first; i < end; i++) {
    const v = PREFIX_XOR[data[i]] ^ carry;
    data[i] = v;
    carry = -(v & 1) & 0xff;
  }
  // Keep the padding bits after the last pixel white.
  if (width & 7) data[end - 1] &= (0xff00 >> (width & 7)) & 0xff;
}
