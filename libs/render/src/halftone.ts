/**
 * Clustered-dot ordered halftone for photo regions: a threshold matrix tiled over the page, as
 * fax machines and Ghostscript's tiffg4 device screen photos. Ordered dots grow as round
 * clusters on a regular lattice, so a row is a few long runs repeating with the screen's
 * period, which MMR (T.6) codes with short vertical-mode words from the row above; error
 * diffusion scatters single dots that cost a code word each. Each pel is also decided alone,
 * without Floyd–Steinberg's chain from pel to pel.
 *
 * The screen is Ulichney's "classic screen" (Digital Halftoning, MIT Press 1987, §5.2, the
 * 45° clustered dot): an 8 × 8 cell holding two dots, one on the cell's corners and one at its
 * centre, ordered by the round (Euclidean) spot function cos(πu) + cos(πv) in the screen's
 * rotated coordinates. At 204 × 196 dpi (pels nearly square) its lattice vectors (4, 4) and
 * (4, -4) give a 45° screen of 5.7 pels, 36 lines per inch: about as fine as a fax line keeps
 * (its scanners and printers blur single pels; 150-lpi print screens scanned at fax resolution
 * moiré), and coarse enough to give 65 grey levels. At 45° the regular dot rows are least
 * visible to the eye (the textbook reason for the angle). No lightening curve, unlike the
 * diffusion: a clustered dot has less perimeter per inked pel and so spreads less on the
 * receiving printer.
 */
export const SCREEN_SIZE = 8;

/**
 * Thresholds of the 8 × 8 cell, row by row: a pel is black when its grey is below its
 * threshold. The pels nearest a dot centre get the highest thresholds (they ink first as the
 * grey darkens); threshold k of 64 is 255 × (63.5 − k) / 64, so a flat grey v inks very nearly
 * 64 × (1 − v/255) pels of each cell.
 */
export const SCREEN: Uint8Array = (() => {
  const n = SCREEN_SIZE;
  const pels: { i: number; spot: number }[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Pel centres, in units of the lattice: dot centres where u and v are both even.
      const u = (x + 0.5 + (y + 0.5)) / 4;
      const v = (x + 0.5 - (y + 0.5)) / 4;
      pels.push({ i: y * n + x, spot: Math.cos(Math.PI * u) + Math.cos(Math.PI * v) });
    }
  }
  // Ties (the two dots of a cell are congruent) go by position, so the screen is one fixed table.
  pels.sort((a, b) => b.spot - a.spot || a.i - b.i);
  const t = new Uint8Array(n * n);
  pels.forEach((p, k) => (t[p.i] = Math.round((255 * (n * n - k - 0.5)) / (n * n))));
  return t;
})();

/**
 * The screen's rows as little-endian 32-bit words, two per row (pels 0–3, 4–7), laid out as the
 * grey words they are compared with.
 */
const SCREEN_WORDS: Int32Array = (() => {
  const t = new Int32Array(2 * SCREEN_SIZE);
  for (let i = 0; i < t.length; i++) t[i] = SCREEN[4 * i] | (SCREEN[4 * i + 1] << 8) | (SCREEN[4 * i + 2] << 16) | (SCREEN[4 * i + 3] << 24);
  return t;
})();

const HIGH = 0x80808080 | 0;
const LOW = 0x7f7f7f7f;

/**
 * Four bytes of a word against four of another, in one go (SWAR): the top bit of each byte set
 * where p's byte < t's (unsigned). (p | 0x80) − (t & 0x7f) per byte never borrows from the next
 * byte, and its top bit says low(p) ≥ low(t); the top bits decide where they differ.
 */
export function bytesBelow(p: number, t: number): number {
  const lowGe = ((p | HIGH) - (t & LOW)) | 0;
  return ~((p & ~t) | (~(p ^ t) & lowGe)) & HIGH;
}

/** The four top bits of bytesBelow() as a nibble, pel 0 (the word's low byte) as its bit 3. */
function nibble(topBits: number): number {
  return (Math.imul(topBits >>> 7, 0x08040201) >>> 24) & 0xf;
}

/**
 * Screens pels [xs, xe) of one row (grey row at `o`, bitmap row at `r`) into the bitmap. The
 * cell is 8 pels wide, so a bitmap byte always meets the same eight thresholds of row y.
 * `words`, the same grey as 32-bit words when rows start on word boundaries, lets eight pels
 * be compared with two word operations instead of eight byte loads and compares.
 */
export function screenRow(px: Uint8Array, o: number, d: Uint8Array, r: number, y: number, xs: number, xe: number, words?: Int32Array): void {
  const row = (y & 7) * 8;
  const t0 = SCREEN[row];
  const t1 = SCREEN[row + 1];
  const t2 = SCREEN[row + 2];
  const t3 = SCREEN[row + 3];
  const t4 = SCREEN[row + 4];
  const t5 = SCREEN[row + 5];
  const t6 = SCREEN[row + 6];
  const t7 = SCREEN[row + 7];
  let x = xs;
  // Pel by pel up to a byte boundary (photo runs start on a block, so this is rare).
  for (; x < xe && (x & 7) !== 0; x++) if (px[o + x] < SCREEN[row + (x & 7)]) d[r + (x >> 3)] |= 0x80 >> (x & 7);
  if (words && ((o + x) & 3) === 0) {
    const w0 = SCREEN_WORDS[(y & 7) * 2];
    const w1 = SCREEN_WORDS[(y & 7) * 2 + 1];
    for (let wi = (o + x) >> 2; x + 8 <= xe; x += 8, wi += 2) {
      const a = words[wi];
      const b = words[wi + 1];
      // Paper (four 255s) is above every threshold.
      if ((a & b) === -1) continue;
      d[r + (x >> 3)] |= (nibble(bytesBelow(a, w0)) << 4) | nibble(bytesBelow(b, w1));
    }
  }
  // Whole bytes: (grey − threshold) is negative, its sign bit set, exactly when the pel inks.
  for (; x + 8 <= xe; x += 8) {
    const p = o + x;
    d[r + (x >> 3)] |=
      (((px[p] - t0) >>> 31) << 7) |
      (((px[p + 1] - t1) >>> 31) << 6) |
      (((px[p + 2] - t2) >>> 31) << 5) |
      (((px[p + 3] - t3) >>> 31) << 4) |
      (((px[p + 4] - t4) >>> 31) << 3) |
      (((px[p + 5] - t5) >>> 31) << 2) |
      (((px[p + 6] - t6) >>> 31) << 1) |
      ((px[p + 7] - t7) >>> 31);
  }
  for (; x < xe; x++) if (px[o + x] < SCREEN[row + (x & 7)]) d[r + (x >> 3)] |= 0x80 >> (x & 7);
}
