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

/** Paints black the runs described by `changes[0..n)` into the (white) row at `off`. */
export function paintRow(data: Uint8Array, off: number, width: number, changes: Int32Array, n: number): void {
  for (let k = 0; k < n; k += 2) {
    const a = changes[k];
    const b = k + 1 < n ? changes[k + 1] : width;
    if (a >= b) continue;
    let i = off + (a >> 3);
    const j = off + ((b - 1) >> 3);
    const first = 0xff >> (a & 7);
    const last = (0xff00 >> (((b - 1) & 7) + 1)) & 0xff;
    if (i === j) {
      data[i] |= first & last;
    } else {
      data[i] |= first;
      for (i++; i < j; i++) data[i] = 0xff;
      data[j] |= last;
    }
  }
}
