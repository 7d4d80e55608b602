// Rows as "changing elements" (T.4 §4.2.1.3.1): the positions where the colour differs from the
// pixel to the left, starting from an imaginary white pixel before the row. Both codecs and the
// transcoder work on these lists, so a row is scanned or painted once.

/** For each byte of transition bits: how many are set, and their positions (8 slots each, MSB = 0). */
const TRANSITION_COUNT = new Uint8Array(256);
const TRANSITION_POS = new Uint8Array(256 * 8);
for (let t = 0; t < 256; t++) {
  let n = 0;
  for (let b = 0; b < 8; b++) if (t & (0x80 >> b)) TRANSITION_POS[t * 8 + n++] = b;
  TRANSITION_COUNT[t] = n;
}

/**
 * Writes the changing elements of the row at `off` into `out` and returns how many there are.
 * `out` must hold width + 8 entries; the caller adds sentinels. Works a byte at a time: a pixel
 * changes where it differs from its left neighbour, so `b ^ (b >> 1 | previous bit << 7)` marks
 * every change in the byte, and a table lists them — no per-pixel loop, however short the runs.
 */
export function rowChanges(data: Uint8Array, off: number, width: number, out: Int32Array): number {
  const bytes = (width + 7) >> 3;
  let n = 0;
  let prev = 0;
  for (let i = 0; i < bytes; i++) {
    const b = data[off + i];
    const t = b ^ ((b >> 1) | prev);
    prev = (b & 1) << 7;
    if (t === 0) continue;
    const base = i << 3;
    const p = t << 3;
    // Write all eight slots and keep as many as there are changes: no data-dependent loop.
    out[n] = base + TRANSITION_POS[p];
    out[n + 1] = base + TRANSITION_POS[p + 1];
    out[n + 2] = base + TRANSITION_POS[p + 2];
    out[n + 3] = base + TRANSITION_POS[p + 3];
    out[n + 4] = base + TRANSITION_POS[p + 4];
    out[n + 5] = base + TRANSITION_POS[p + 5];
    out[n + 6] = base + TRANSITION_POS[p + 6];
    out[n + 7] = base + TRANSITION_POS[p + 7];
    n += TRANSITION_COUNT[t];
  }
  // Changes inside the padding bits of the last byte are not pixels.
  while (n > 0 && out[n - 1] >= width) n--;
  return n;
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
