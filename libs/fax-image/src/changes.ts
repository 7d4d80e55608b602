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

/**
 * rowChanges for a bitmap whose rows start on 4-byte boundaries, `words` being the same memory
 * as 32-bit words: a word at a time, white words after a white pel skipped with one read (most
 * of a text page), and each change found with one count-leading-zeros.
 */
export function rowChangesWords(data: Uint8Array, words: Uint32Array, off: number, width: number, out: Int32Array): number {
  const count = (width + 31) >> 5;
  // Padding bits after the last pel count as white, so at most one change lies beyond the
  // image (at width) and `out` never overflows.
  const lastMask = width & 31 ? ~(0xffffffff >>> (width & 31)) : -1;
  const wo = off >> 2;
  let n = 0;
  // The last pel of the previous word, in bit 31 of the word being scanned.
  let prev = 0;
  for (let j = 0; j < count; j++) {
    const le = words[wo + j];
    if (le === 0 && prev === 0) continue;
    // Bytes are MSB first: byte-swap the little-endian word so pel 0 of the word is bit 31.
    let v = (le << 24) | ((le & 0xff00) << 8) | ((le >>> 8) & 0xff00) | (le >>> 24);
    if (j === count - 1) v &= lastMask;
    let t = v ^ ((v >>> 1) | prev);
    prev = v << 31;
    const base = j << 5;
    while (t !== 0) {
      const z = Math.clz32(t);
      out[n++] = base + z;
      t ^= 0x80000000 >>> z;
    }
  }
  // Changes inside the padding bits after the last pel are not pixels.
  while (n > 0 && out[n - 1] >= width) n--;
  return n;
}

let marks = new Int32Array(64);

/**
 * Paints black the runs described by `changes[0..n)` (increasing) into the (white) row at `off`.
 * Each change toggles one bit of a 32-bit mark word held in a register until the changes move
 * to the next word; a prefix XOR within each word (five shifts) then turns toggles into runs.
 * Dense rows (a dithered photo has five changes per byte) so cost no store per change.
 */
export function paintRow(data: Uint8Array, off: number, width: number, changes: Int32Array, n: number): void {
  if (n === 0) return;
  const words = (width + 31) >>> 5;
  if (marks.length < words) marks = new Int32Array(words * 2);
  const m = marks;
  m.fill(0, 0, words);
  let wi = changes[0] >>> 5;
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const x = changes[k];
    if (x >= width) break;
    const j = x >>> 5;
    if (j !== wi) {
      m[wi] = acc;
      wi = j;
      acc = 0;
    }
    acc ^= 0x80000000 >>> (x & 31);
  }
  m[wi] = acc;
  const bytes = (width + 7) >> 3;
  let carry = 0;
  for (let j = changes[0] >>> 5; j < words; j++) {
    let v = m[j];
    if (v === 0 && carry === 0) continue;
    v ^= v >>> 1;
    v ^= v >>> 2;
    v ^= v >>> 4;
    v ^= v >>> 8;
    v ^= v >>> 16;
    v ^= carry;
    carry = -(v & 1);
    const o = j << 2;
    if (o + 4 <= bytes) {
      data[off + o] = v >>> 24;
      data[off + o + 1] = v >>> 16;
      data[off + o + 2] = v >>> 8;
      data[off + o + 3] = v;
    } else {
      for (let b = 0; o + b < bytes; b++) data[off + o + b] = v >>> (24 - 8 * b);
    }
  }
  // Keep the padding bits after the last pixel white.
  if (width & 7) data[off + bytes - 1] &= (0xff00 >> (width & 7)) & 0xff;
}
