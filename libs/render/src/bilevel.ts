import { createBitmap, type Bitmap } from '@faxgate/fax-image';
import type { GrayPage } from './gray-page.ts';
import { bytesBelow, screenRow } from './halftone.ts';
import { DEFAULT_PHOTO_DITHER, type PhotoDither } from './photo-dither.ts';

/** Square blocks the page is classified in: text/line art or photo. */
const BLOCK = 32;
/** Grey levels counted as "mid-tone": anti-aliased glyph edges are few, photos are mostly these. */
const MID_LO = 40;
const MID_HI = 215;
/** A block with at least this share of mid-tones is a photo region. */
const PHOTO_SHARE = 0.4;
/** Paper white: a block with this share of such pels is blank (or text on paper). */
const PAPER = 248;
const BLANK_SHARE = 0.5;
/** Rows sampled for block statistics. */
const SAMPLE = 8;
/** Per grey level: bit 0 mid-tone, bit 1 paper white. */
const CLASS = (() => {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) t[v] = (v >= MID_LO && v <= MID_HI ? 1 : 0) | (v >= PAPER ? 2 : 0);
  return t;
})();

/** For two pels (16 bits): mid-tones among them in bits 0–7, paper white in bits 8–15. */
const PAIR_CLASS = (() => {
  const t = new Uint16Array(1 << 16);
  for (let v = 0; v < 1 << 16; v++) {
    const a = CLASS[v & 0xff];
    const b = CLASS[v >>> 8];
    t[v] = ((a & 1) + (b & 1)) | (((a >> 1) + (b >> 1)) << 8);
  }
  return t;
})();

/** A neighbour of a photo block with this share of mid-tones holds the photo's edge. */
const EDGE_SHARE = 0.08;
/**
 * A mid-tone pel is smooth when its four neighbours are all within this many grey levels of it:
 * a photo's or a grey fill's mid-tones are (gradients, sensor grain of a few levels), while an
 * anti-aliased glyph edge or hairline sits between paper and ink and steps by 60 or more.
 */
const SMOOTH_STEP = 32;
/** Mid-tones of a photo region are mostly smooth; those of small or dense text almost never (under 1 %). */
const SMOOTH_SHARE = 0.5;

/** Per block: sampled pels, mid-tones among them, paper white among them. */
interface BlockStats {
  cols: number;
  rows: number;
  mid: Uint32Array;
  total: Uint32Array;
  paper: Uint32Array;
}

function newStats(g: GrayPage): BlockStats {
  const cols = Math.ceil(g.width / BLOCK);
  const rows = Math.ceil(g.height / BLOCK);
  return { cols, rows, mid: new Uint32Array(cols * rows), total: new Uint32Array(cols * rows), paper: new Uint32Array(cols * rows) };
}

/** Int32 words over the pixels when rows are word-aligned: paper white is -1, which V8 keeps as a small integer (Uint32 0xffffffff is not). */
function wordsOf(g: GrayPage): Int32Array | undefined {
  const px = g.pixels;
  return px.byteOffset % 4 === 0 && g.stride % 4 === 0 ? new Int32Array(px.buffer, px.byteOffset, (g.stride * g.height) >> 2) : undefined;
}

/** Adds row y to the block statistics (every SAMPLE-th row is: shares, not exact counts, decide the class). */
function sampleRow(g: GrayPage, words: Int32Array | undefined, y: number, s: BlockStats): void {
  const { cols, mid, paper, total } = s;
  const px = g.pixels;
  const rowBase = ((y / BLOCK) | 0) * cols;
  const o = y * g.stride;
  for (let bx = 0; bx < cols; bx++) {
    const x0 = bx * BLOCK;
    const x1 = Math.min(g.width, x0 + BLOCK);
    let m = 0;
    let p = 0;
    let x = x0;
    if (words && x1 - x0 === BLOCK) {
      // A whole block row of paper white with one test (most of a text page).
      const wi = (o + x0) >> 2;
      if ((words[wi] & words[wi + 1] & words[wi + 2] & words[wi + 3] & words[wi + 4] & words[wi + 5] & words[wi + 6] & words[wi + 7]) === -1) {
        const b = rowBase + bx;
        paper[b] += BLOCK;
        total[b] += BLOCK;
        continue;
      }
    }
    // Four pels at a time: two lookups of pel pairs, mid-tones and paper summed in one word.
    if (words) {
      let both = 0;
      for (; x + 4 <= x1; x += 4) {
        const w = words[(o + x) >> 2];
        both += PAIR_CLASS[w & 0xffff] + PAIR_CLASS[w >>> 16];
      }
      m += both & 0xff;
      p += both >>> 8;
    }
    for (; x < x1; x++) {
      const c = CLASS[px[o + x]];
      m += c & 1;
      p += c >> 1;
    }
    const b = rowBase + bx;
    mid[b] += m;
    paper[b] += p;
    total[b] += x1 - x0;
  }
}

/**
 * Marks photo blocks (1) and text/line-art blocks (0), `cols` × `rows` blocks of BLOCK pels.
 */
export function classifyBlocks(g: GrayPage): { cols: number; rows: number; photo: Uint8Array } {
  const s = newStats(g);
  const words = wordsOf(g);
  for (let y = 0; y < g.height; y += SAMPLE) sampleRow(g, words, y, s);
  return { cols: s.cols, rows: s.rows, photo: photoBlocks(g, s) };
}

/**
 * Whether block i's mid-tones are mostly smooth (see SMOOTH_STEP): at least `need` of the `mid`
 * mid-tone pels in its sampled rows (the rows sampleRow counted them in). Asked only for the
 * blocks the classifier wonders about, which on a text page are few and on a photo page are all
 * of the photo; the count stops as soon as the answer is known (a photo block's after about
 * half its mid-tones).
 */
function smoothMidTones(g: GrayPage, cols: number, i: number, mid: number, need: number): boolean {
  const px = g.pixels;
  const { width: w, height: h, stride } = g;
  const x0 = (i % cols) * BLOCK;
  const x1 = Math.min(w, x0 + BLOCK);
  const y0 = ((i / cols) | 0) * BLOCK;
  const y1 = Math.min(h, y0 + BLOCK);
  let n = 0;
  let left = mid;
  if (n >= need) return true;
  for (let y = y0; y < y1; y += SAMPLE) {
    const o = y * stride;
    // Beyond the page's edge a pel counts as its own neighbour.
    const up = y > 0 ? -stride : 0;
    const down = y + 1 < h ? stride : 0;
    for (let x = x0; x < x1; x++) {
      const v = px[o + x];
      if (!(CLASS[v] & 1)) continue;
      const l = x > 0 ? px[o + x - 1] : v;
      const r = x + 1 < w ? px[o + x + 1] : v;
      // |a − v| < SMOOTH_STEP as one unsigned compare: a − v + 31 in [0, 63).
      if ((l - v + SMOOTH_STEP - 1) >>> 0 < 2 * SMOOTH_STEP - 1 && (r - v + SMOOTH_STEP - 1) >>> 0 < 2 * SMOOTH_STEP - 1 && (px[o + x + up] - v + SMOOTH_STEP - 1) >>> 0 < 2 * SMOOTH_STEP - 1 && (px[o + x + down] - v + SMOOTH_STEP - 1) >>> 0 < 2 * SMOOTH_STEP - 1) {
        if (++n >= need) return true;
      }
      if (n + --left < need) return false;
    }
  }
  return n >= need;
}

/**
 * Photo blocks from the statistics: mostly mid-tones, and those smooth, grown over the photo's
 * light and dark areas. Mid-tones alone do not make a photo: at 5.5 pt or in a ruled table,
 * anti-aliased glyph edges and hairlines are a third or more of a block's pels, and taking them
 * for a photo error-diffused whole text pages into stippled glyphs.
 */
function photoBlocks(g: GrayPage, s: BlockStats): Uint8Array {
  const { cols, rows, mid, paper, total } = s;
  const photo = new Uint8Array(cols * rows);
  // Per block: 0 not asked yet, 1 smooth, 2 not.
  const smooth = new Uint8Array(cols * rows);
  const midTonesSmooth = (i: number) => {
    if (smooth[i] === 0) smooth[i] = smoothMidTones(g, cols, i, mid[i], mid[i] * SMOOTH_SHARE) ? 1 : 2;
    return smooth[i] === 1;
  };
  const stack: number[] = [];
  for (let i = 0; i < photo.length; i++) {
    if (mid[i] >= total[i] * PHOTO_SHARE && midTonesSmooth(i)) {
      photo[i] = 1;
      stack.push(i);
    }
  }
  // A photo's light and dark areas are not mid-tones but belong to it: grow each photo region
  // through neighbouring blocks that are not blank paper or hold a photo's edge, so the dither
  // covers the whole photo. It does not grow into blocks whose mid-tones are glyph edges, so
  // text set beside a photo stays thresholded.
  while (stack.length) {
    const i = stack.pop()!;
    const bx = i % cols;
    const by = (i / cols) | 0;
    for (const [nx, ny] of [[bx - 1, by], [bx + 1, by], [bx, by - 1], [bx, by + 1]]) {
      if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
      const n = ny * cols + nx;
      if (photo[n]) continue;
      const edgy = mid[n] >= total[n] * EDGE_SHARE;
      if ((paper[n] >= total[n] * BLANK_SHARE && !edgy) || (edgy && !midTonesSmooth(n))) continue;
      photo[n] = 1;
      stack.push(n);
    }
  }
  return photo;
}

/**
 * Grey page to fax bitmap, chosen by content: a sharp threshold keeps text and line art crisp;
 * regions that are mostly mid-tones (photos, grey fills) get a clustered-dot halftone screen or
 * Floyd–Steinberg error diffusion (serpentine, after a lightening curve because fax printers
 * and toner spread dots into blobs). Neither crosses into text regions.
 */
export function toBilevel(g: GrayPage, threshold = 128, photoDither: PhotoDither = DEFAULT_PHOTO_DITHER): Bitmap {
  // Classified first, from every eighth row (an eighth of the grey read): a photo page then
  // goes straight to the dither instead of being thresholded, hairlines and all, for nothing.
  const { photo, cols } = classifyBlocks(g);
  const out = createBitmap(g.width, g.height);
  const d = out.data;
  if (!photo.includes(1)) {
    if (!thresholdInto(g, out, threshold)) keepHairlines(g, out, threshold);
    return out;
  }
  ditherInto(g, out, threshold, photo, cols, photoDither);
  return out;
}

/**
 * A page with photo blocks: bands of block rows without photo are thresholded as a text page
 * is; in the others, photo blocks get serpentine Floyd–Steinberg and the rest the threshold and
 * hairline keeper, pel by pel.
 */
function ditherInto(g: GrayPage, out: Bitmap, threshold: number, photo: Uint8Array, cols: number, photoDither: PhotoDither): void {
  const { width: w, height: h } = g;
  const px = g.pixels;
  const d = out.data;
  const words = wordsOf(g);
  const cand = candidatePairs(threshold);
  // Error carried to this row and the next, with a pel of slack at both ends.
  let cur = new Int32Array(w + 2);
  let next = new Int32Array(w + 2);
  for (let y0 = 0; y0 < h; y0 += BLOCK) {
    const y1 = Math.min(h, y0 + BLOCK);
    const blockRow = (y0 / BLOCK) * cols;
    if (!photo.subarray(blockRow, blockRow + cols).includes(1)) {
      if (!thresholdInto(g, out, threshold, y0, y1)) for (let y = y0; y < y1; y++) hairlinesInRow(g, words, cand, out, y, 0, threshold, undefined, 0);
      cur.fill(0);
      continue;
    }
    // Runs of neighbouring photo blocks: error diffuses within a run, never out of it.
    const runs: number[] = [];
    for (let bx = 0; bx < cols; bx++) {
      if (!photo[blockRow + bx]) continue;
      const start = bx;
      while (bx + 1 < cols && photo[blockRow + bx + 1]) bx++;
      runs.push(start * BLOCK, Math.min(w, (bx + 1) * BLOCK));
    }
    for (let y = y0; y < y1; y++) {
      const o = y * g.stride;
      const r = y * out.stride;
      for (let bx = 0; bx < cols; bx++) {
        if (photo[blockRow + bx]) continue;
        const x0 = bx * BLOCK;
        const x1 = Math.min(w, x0 + BLOCK);
        // Paper beside a photo (a block's row of eight white words) with one test.
        if (words && x1 - x0 === BLOCK) {
          const wi = (o + x0) >> 2;
          if ((words[wi] & words[wi + 1] & words[wi + 2] & words[wi + 3] & words[wi + 4] & words[wi + 5] & words[wi + 6] & words[wi + 7]) === -1) continue;
        }
        for (let x = x0; x < x1; x++) if (px[o + x] < threshold) d[r + (x >> 3)] |= 0x80 >> (x & 7);
      }
      for (let i = 0; i < runs.length; i += 2) {
        if (photoDither === 'halftone') screenRow(px, o, d, r, y, runs[i], runs[i + 1], words);
        else if ((y & 1) === 0) diffuseRight(px, o, d, r, runs[i], runs[i + 1], cur, next);
        else diffuseLeft(px, o, d, r, runs[i], runs[i + 1], cur, next);
      }
      hairlinesInRow(g, words, cand, out, y, 0, threshold, photo, blockRow);
      // The screen carries no error from row to row.
      if (photoDither !== 'halftone') {
        [cur, next] = [next, cur];
        next.fill(0);
      }
    }
  }
}

/**
 * Floyd–Steinberg along one row of a photo run, pels [xs, xe): 7/16 of a pel's error to the
 * next pel, 3/16 behind-below, 5/16 below, 1/16 ahead-below. The error for the next pel and the
 * two next-row sums still open are carried in locals, not read back from the arrays. `cur` and
 * `next` are indexed one pel to the right (slack at both ends).
 *
 * In integers: errors are whole grey levels, and `cur`, `next` and `carry` hold sixteenths
 * (3e + 5e + e from the row above, 7e from the left), rounded once when a pel takes them. The
 * choice of dot is a sign bit, not a branch (on a photo black and white follow each other at
 * random). Together a full page of dither took 14.5 ms against 19.2 for the float version it
 * replaced, the same density within 0.2 %; a float version with only the branch removed was
 * slower than the original.
 */
function diffuseRight(px: Uint8Array, o: number, d: Uint8Array, r: number, xs: number, xe: number, cur: Int32Array, next: Int32Array): void {
  let carry = 0;
  let openNear = 0;
  let openFar = 0;
  // The dots of a byte gather in `bits` and are stored once per byte.
  let bits = 0;
  for (let x = xs; x < xe; x++) {
    const want = TONE[px[o + x]] + ((cur[x + 1] + carry + 8) >> 4);
    const black = (want - 128) >> 31;
    bits |= (black & 1) << (7 - (x & 7));
    const e = want - (255 & ~black);
    if ((x & 7) === 7) {
      d[r + (x >> 3)] |= bits;
      bits = 0;
    }
    // A plain store: `next` is cleared for every row and runs never share a pel of it (they
    // are a block apart), so this is the first error this pel of the next row gets.
    next[x] = openNear + 3 * e;
    openNear = openFar + 5 * e;
    openFar = e;
    carry = 7 * e;
  }
  if (bits !== 0) d[r + ((xe - 1) >> 3)] |= bits;
  next[xe] += openNear;
  next[xe + 1] += openFar;
}

/** diffuseRight mirrored, for the serpentine's right-to-left rows. */
function diffuseLeft(px: Uint8Array, o: number, d: Uint8Array, r: number, xs: number, xe: number, cur: Int32Array, next: Int32Array): void {
  let carry = 0;
  let openNear = 0;
  let openFar = 0;
  let bits = 0;
  for (let x = xe - 1; x >= xs; x--) {
    const want = TONE[px[o + x]] + ((cur[x + 1] + carry + 8) >> 4);
    const black = (want - 128) >> 31;
    bits |= (black & 1) << (7 - (x & 7));
    const e = want - (255 & ~black);
    if ((x & 7) === 0) {
      d[r + (x >> 3)] |= bits;
      bits = 0;
    }
    next[x + 2] = openNear + 3 * e;
    openNear = openFar + 5 * e;
    openFar = e;
    carry = 7 * e;
  }
  if (bits !== 0) d[r + (xs >> 3)] |= bits;
  next[xs + 1] += openNear;
  next[xs] += openFar;
}

/**
 * The lightest grey that can still be a hairline's core. A 0.25 pt rule (Word's and
 * LibreOffice's thinnest table border) covers about 0.7 pel at 204×196 dpi and 0.35 pel across
 * at 98 lpi; split over two rows its darker row is about 1 - 0.35/2 of white at worst, ~211.
 */
const HAIRLINE_LIGHTEST = 215;
/** A hairline's core is this much darker than what lies one or two pels to either side of it. */
const HAIRLINE_CONTRAST = 40;

/**
 * Thin-line-preserving threshold: a pel lighter than the threshold that is the darkest of a
 * dark ridge at most two pels wide, with lighter paper on both sides (across a row or a column),
 * is made black, so a hairline keeps one row of ink, as Ghostscript's and Poppler's mono
 * rendering keep it (they stroke every line at least one device pixel wide; PDF 2.0 §8.5.3.2
 * "a line width of 0 shall denote the thinnest line that can be rendered"). An anti-aliased edge
 * of a solid stroke is never the darkest pel of its neighbourhood and a flat grey has no
 * contrast, so text and fills stay as thresholded. Ties go to the upper (left) pel, so a rule
 * split evenly over two rows becomes one row, not two. Photo blocks are left to the dither.
 */
function keepHairlines(g: GrayPage, out: Bitmap, threshold: number, photo?: Uint8Array, cols = 0): void {
  const words = wordsOf(g);
  const cand = candidatePairs(threshold);
  for (let y = 0; y < g.height; y++) hairlinesInRow(g, words, cand, out, y, 0, threshold, photo, ((y / BLOCK) | 0) * cols);
}

/** Marks the hairline cores of row y from pel `from` on. */
function hairlinesInRow(g: GrayPage, words: Int32Array | undefined, cand: Uint8Array, out: Bitmap, y: number, from: number, threshold: number, photo: Uint8Array | undefined, blockRow: number): void {
  const px = g.pixels;
  const { width: w, height: h, stride } = g;
  const d = out.data;
  const o = y * stride;
  const r = y * out.stride;
  let x = from;
  if (words && (x & 3) === 0) {
    // Four pels at a time, two table lookups: only a grey between the threshold and
    // HAIRLINE_LIGHTEST can be a hairline's core, and most words (paper, ink, the light and
    // dark ends of glyph edges) hold none. Thirty-two pels of paper are skipped with one test.
    const n = w >> 2;
    const base = o >> 2;
    let k = x >> 2;
    for (; k < n; k++) {
      if ((k & 7) === 0 && k + 8 <= n) {
        const wi = base + k;
        // Eight words are one block (BLOCK = 32): a photo block is the dither's.
        if (inPhoto(photo, blockRow, k << 2) || (words[wi] & words[wi + 1] & words[wi + 2] & words[wi + 3] & words[wi + 4] & words[wi + 5] & words[wi + 6] & words[wi + 7]) === -1) {
          k += 7;
          continue;
        }
      }
      const word = words[base + k];
      if ((cand[word & 0xffff] | cand[word >>> 16]) === 0) continue;
      for (let x4 = k << 2, e = x4 + 4; x4 < e; x4++) if (!inPhoto(photo, blockRow, x4) && isHairlineCore(px, o, x4, y, w, h, stride, threshold)) d[r + (x4 >> 3)] |= 0x80 >> (x4 & 7);
    }
    x = n << 2;
  }
  for (; x < w; x++) if (!inPhoto(photo, blockRow, x) && isHairlineCore(px, o, x, y, w, h, stride, threshold)) d[r + (x >> 3)] |= 0x80 >> (x & 7);
}

/**
 * Bytes of a little-endian grey word that may be a hairline's core at threshold 128, as their top
 * bits: 128 <= v (top bit set) and v <= 215 (0xd7 - (v & 0x7f) keeps its top bit, without a
 * borrow between bytes since v & 0x7f < 0xd7).
 */
function coreCandidates128(word: number): number {
  return word & (0xd7d7d7d7 - (word & 0x7f7f7f7f)) & 0x80808080;
}

/** Photo blocks are left to the dither. */
function inPhoto(photo: Uint8Array | undefined, blockRow: number, x: number): boolean {
  return photo !== undefined && photo[blockRow + ((x / BLOCK) | 0)] === 1;
}

function isHairlineCore(px: Uint8Array, o: number, x: number, y: number, w: number, h: number, stride: number, threshold: number): boolean {
  const v = px[o + x];
  if (v < threshold || v > HAIRLINE_LIGHTEST) return false;
  const C = HAIRLINE_CONTRAST;
  const up1 = y > 0 ? px[o - stride + x] : 255;
  const dn1 = y + 1 < h ? px[o + stride + x] : 255;
  if (v <= up1 && v < dn1) {
    const up2 = y > 1 ? px[o - 2 * stride + x] : 255;
    const dn2 = y + 2 < h ? px[o + 2 * stride + x] : 255;
    if (Math.max(up1, up2) >= v + C && Math.max(dn1, dn2) >= v + C) return true;
  }
  const l1 = x > 0 ? px[o + x - 1] : 255;
  const r1 = x + 1 < w ? px[o + x + 1] : 255;
  if (!(v <= l1 && v < r1)) return false;
  const l2 = x > 1 ? px[o + x - 2] : 255;
  const r2 = x + 2 < w ? px[o + x + 2] : 255;
  return Math.max(l1, l2) >= v + C && Math.max(r1, r2) >= v + C;
}

let candidateTable: { threshold: number; pairs: Uint8Array } | undefined;

/** Per two pels (16 bits of a little-endian grey word): 1 when either may be a hairline's core. */
function candidatePairs(threshold: number): Uint8Array {
  if (candidateTable?.threshold !== threshold) {
    const pairs = new Uint8Array(1 << 16);
    const may = (v: number) => v >= threshold && v <= HAIRLINE_LIGHTEST;
    for (let v = 0; v < 1 << 16; v++) pairs[v] = may(v & 0xff) || may(v >>> 8) ? 1 : 0;
    candidateTable = { threshold, pairs };
  }
  return candidateTable.pairs;
}

/** Lightening curve for dithered regions: mid-greys a little lighter, ends untouched. */
const TONE = (() => {
  const t = new Int32Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.round(255 * Math.pow(v / 255, 0.8));
  return t;
})();

/**
 * Plain threshold, eight pels to a byte; runs of paper white (four 255s make 0xffffffff) are
 * skipped a word at a time, which is most of a text page. At threshold 128 the hairline cores
 * (keepHairlines) are marked in the same pass, while the grey words are loaded anyway: a second
 * pass over 3.7 MB of grey cost more than the threshold itself. Says whether it did that.
 */
function thresholdInto(g: GrayPage, out: Bitmap, threshold: number, yFrom = 0, yTo = g.height): boolean {
  const px = g.pixels;
  const words = wordsOf(g);
  const d = out.data;
  const full = g.width >> 3;
  const out32 = d.byteOffset % 4 === 0 ? new Int32Array(d.buffer, d.byteOffset, d.length >> 2) : undefined;
  const rowWords = g.stride >> 2;
  for (let y = yFrom; y < yTo; y++) {
    const o = y * g.stride;
    const r = y * out.stride;
    if (words && threshold === 128) {
      // At 128 a pel is black exactly when its top bit is 0: the top bits of four pels in a
      // little-endian word, (w & 0x80808080) >>> 7, gather into one nibble with a single
      // multiply (the partial products land on bits 24–27 without carries).
      let wi = o >> 2;
      let i = 0;
      if (out32 && (r & 3) === 0) {
        // Thirty-two pels at a time, paper skipped with one test, into one output word (its
        // bytes in memory order, little-endian like the grey words above).
        const ow = r >> 2;
        for (let k = 0; i + 4 <= full; i += 4, wi += 8, k++) {
          const a = words[wi];
          const b = words[wi + 1];
          const c = words[wi + 2];
          const e = words[wi + 3];
          const f = words[wi + 4];
          const h = words[wi + 5];
          const j = words[wi + 6];
          const l = words[wi + 7];
          if ((a & b & c & e & f & h & j & l) === -1) continue;
          const b0 = ((Math.imul((a & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((b & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf);
          const b1 = ((Math.imul((c & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((e & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf);
          const b2 = ((Math.imul((f & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((h & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf);
          const b3 = ((Math.imul((j & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((l & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf);
          out32[ow + k] = ~(b0 | (b1 << 8) | (b2 << 16) | (b3 << 24));
          const maybe = coreCandidates128(a) | coreCandidates128(b) | coreCandidates128(c) | coreCandidates128(e) | coreCandidates128(f) | coreCandidates128(h) | coreCandidates128(j) | coreCandidates128(l);
          if (maybe !== 0) {
            // Only the candidate pels are tested, found by their top bits, and of those only
            // the ones darkest among their neighbours across a row or a column, found four at
            // a time (isHairlineCore's first test of each direction): on a scanned page most
            // candidates are the slopes of anti-aliased glyph edges, which fail both.
            for (let q = 0; q < 8; q++) {
              const v = words[wi + q];
              let m = coreCandidates128(v);
              if (m === 0) continue;
              const xw = (i << 3) + (q << 2);
              const up = y > 0 ? words[wi + q - rowWords] : -1;
              const dn = y + 1 < g.height ? words[wi + q + rowWords] : -1;
              const left = xw > 0 ? words[wi + q - 1] : -1;
              const right = xw + 4 < g.width ? words[wi + q + 1] : -1;
              const l1 = (v << 8) | (left >>> 24);
              const r1 = (v >>> 8) | (right << 24);
              m &= (~bytesBelow(up, v) & bytesBelow(v, dn)) | (~bytesBelow(l1, v) & bytesBelow(v, r1));
              while (m !== 0) {
                const top = 31 - Math.clz32(m);
                m ^= 1 << top;
                const x = (i << 3) + (q << 2) + (top >> 3);
                if (isHairlineCore(px, o, x, y, g.width, g.height, g.stride, threshold)) d[r + (x >> 3)] |= 0x80 >> (x & 7);
              }
            }
          }
        }
      }
      const fusedTo = i << 3;
      // Sixteen pels at a time: paper is skipped with one test, anything else packed into two
      // bytes without a branch (paper packs to 0, which the white bitmap already holds).
      for (; i + 2 <= full; i += 2, wi += 4) {
        const a = words[wi];
        const b = words[wi + 1];
        const c = words[wi + 2];
        const e = words[wi + 3];
        if ((a & b & c & e) === -1) continue;
        d[r + i] = ~(((Math.imul((a & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((b & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf));
        d[r + i + 1] = ~(((Math.imul((c & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((e & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf));
      }
      for (; i < full; i++, wi += 2) {
        const a = words[wi];
        const b = words[wi + 1];
        d[r + i] = ~(((Math.imul((a & 0x80808080) >>> 7, 0x08040201) >>> 20) & 0xf0) | ((Math.imul((b & 0x80808080) >>> 7, 0x08040201) >>> 24) & 0xf));
      }
      for (let x = full * 8; x < g.width; x++) if (px[o + x] < threshold) d[r + (x >> 3)] |= 0x80 >> (x & 7);
      if (fusedTo < g.width) hairlinesInRow(g, words, candidatePairs(threshold), out, y, fusedTo, threshold, undefined, 0);
      continue;
    }
    for (let i = 0; i < full; i++) {
      const x = o + i * 8;
      if (words && (words[x >> 2] & words[(x >> 2) + 1]) === -1) continue;
      let byte = 0;
      for (let k = 0; k < 8; k++) byte = (byte << 1) | (px[x + k] < threshold ? 1 : 0);
      d[r + i] = byte;
    }
    for (let x = full * 8; x < g.width; x++) if (px[o + x] < threshold) d[r + (x >> 3)] |= 0x80 >> (x & 7);
  }
  return words !== undefined && threshold === 128;
}
