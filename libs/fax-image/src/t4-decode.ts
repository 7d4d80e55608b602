// Tolerant T.4 (MH, MR) and T.6 (MMR) decoders producing changing-element lists.
import { createBitmap, type Bitmap } from './bitmap.ts';
import { BitReader } from './bit-reader.ts';
import { paintRow } from './changes.ts';
import type { BitOrder, FaxCompression } from './t4-encode.ts';
import {
  BLACK_DECODE, MODE_DECODE, MODE_HORIZONTAL, MODE_PASS, MODE_PEEK_BITS, MODE_V0, RUN_PEEK_BITS,
  TERMINATING_FLAG, WHITE_DECODE,
} from './run-codes.ts';

export interface FaxDecodeOptions {
  compression: FaxCompression;
  width: number;
  /** Rows expected (e.g. TIFF ImageLength). Decoding stops there; missing rows are white and count as bad. */
  height?: number;
  /** Default 'msb-first'. */
  bitOrder?: BitOrder;
  /** MH without EOLs, each row starting on a byte boundary (TIFF compression 2). */
  alignedRows?: boolean;
}

export interface FaxDecodeStats {
  /** Rows delivered, including substituted ones. */
  rows: number;
  /** Rows that could not be decoded (replaced by the previous row) or were missing. */
  badRows: number;
  /** Longest run of consecutive bad rows (TIFF ConsecutiveBadFaxLines). */
  consecutiveBadRows: number;
  /** True when the data ended with RTC (T.4) or EOFB (T.6). */
  endOfPage: boolean;
}

export interface FaxDecodeResult extends FaxDecodeStats {
  bitmap: Bitmap;
}

/** Receives each row as changing elements; `bad` marks a substituted (repeated or missing) row. */
export type RowSink = (changes: Int32Array, count: number, bad: boolean) => void;

/** Reads one run (make-up codes then a terminating code) of the given colour; -1 when invalid. */
function readRun(r: BitReader, table: Int32Array, max: number): number {
  let run = 0;
  for (;;) {
    const e = table[r.peek(RUN_PEEK_BITS)];
    if (e === 0) return -1;
    r.pos += (e >>> 16) & 0xff;
    run += e & 0xffff;
    if (e & TERMINATING_FLAG) return run;
    if (run > max) return -1;
  }
}

/** T.4 §4.1.1: one MH row into cur; returns the change count or -1. */
function decode1D(r: BitReader, width: number, cur: Int32Array): number {
  let a = 0;
  let colour = 0;
  let n = 0;
  for (;;) {
    const run = readRun(r, colour ? BLACK_DECODE : WHITE_DECODE, width);
    if (run < 0 || r.pos > r.end) return -1;
    a += run;
    if (a >= width) return a === width ? n : -1;
    // A zero-length run cancels the previous change, so lists stay strictly increasing.
    if (n > 0 && cur[n - 1] === a) n--;
    else cur[n++] = a;
    colour ^= 1;
  }
}

/** T.4 §4.2.1.3 / T.6 §2.2: one 2-D row against ref (which has three width sentinels); change count or -1. */
function decode2D(r: BitReader, width: number, ref: Int32Array, cur: Int32Array): number {
  let a0 = -1;
  let colour = 0;
  let n = 0;
  let bi = 0;
  while (a0 < width) {
    if (bi > 0) bi--;
    while (ref[bi] <= a0) bi++;
    if ((bi & 1) !== colour) bi++;
    const e = MODE_DECODE[r.peek(MODE_PEEK_BITS)];
    const mode = e & 0xff;
    r.pos += e >> 8;
    if (mode === MODE_PASS) {
      a0 = ref[bi + 1];
    } else if (mode === MODE_HORIZONTAL) {
      const start = a0 < 0 ? 0 : a0;
      const r1 = readRun(r, colour ? BLACK_DECODE : WHITE_DECODE, width);
      if (r1 < 0) return -1;
      const r2 = readRun(r, colour ? WHITE_DECODE : BLACK_DECODE, width);
      if (r2 < 0) return -1;
      const a1 = start + r1;
      const a2 = a1 + r2;
      if (a2 > width) return -1;
      if (a1 < width) {
        if (n > 0 && cur[n - 1] === a1) n--;
        else cur[n++] = a1;
      }
      if (a2 < width) {
        if (n > 0 && cur[n - 1] === a2) n--;
        else cur[n++] = a2;
      }
      a0 = a2;
    } else if (mode !== 0 && mode <= MODE_V0 + 3) {
      const a1 = ref[bi] + mode - MODE_V0;
      if (a1 < a0 || a1 < 0 || a1 > width) return -1;
      if (a1 < width) {
        if (n > 0 && cur[n - 1] === a1) n--;
        else cur[n++] = a1;
      }
      a0 = a1;
      colour ^= 1;
    } else {
      // EOL, uncompressed-mode extension (not supported) or garbage.
      return -1;
    }
    if (r.pos > r.end) return -1;
  }
  return n;
}

function sentinels(list: Int32Array, n: number, width: number): void {
  list[n] = width;
  list[n + 1] = width;
  list[n + 2] = width;
  list[n + 3] = width;
}

/**
 * Decodes MH, MR or MMR data row by row, tolerating what real senders produce: fill of any
 * length before EOLs, byte-aligned or absent EOLs, missing RTC/EOFB, extra EOLs. A damaged row
 * (T.4 only: the next EOL resynchronises) is replaced by the previous row and counted; in MR the
 * 2-D rows after it are replaced too until the next 1-D row.
 */
export function decodeFaxRows(data: Uint8Array, opts: FaxDecodeOptions, sink: RowSink): FaxDecodeStats {
  const r = new BitReader(data, opts.bitOrder ?? 'msb-first');
  const { width } = opts;
  const maxRows = opts.height ?? Infinity;
  let ref = new Int32Array(width + 8);
  let cur = new Int32Array(width + 8);
  let refN = 0;
  sentinels(ref, 0, width);
  const stats: FaxDecodeStats = { rows: 0, badRows: 0, consecutiveBadRows: 0, endOfPage: false };
  let consecutive = 0;
  const good = (n: number) => {
    sentinels(cur, n, width);
    sink(cur, n, false);
    const t = ref;
    ref = cur;
    cur = t;
    refN = n;
    consecutive = 0;
    stats.rows++;
  };
  const bad = () => {
    sink(ref, refN, true);
    stats.rows++;
    stats.badRows++;
    consecutive++;
    if (consecutive > stats.consecutiveBadRows) stats.consecutiveBadRows = consecutive;
  };

  if (opts.compression === 'mmr') {
    while (stats.rows < maxRows && r.pos < r.end) {
      if (r.peek(12) === 1) {
        // T.6 §2.4.1.1: EOFB. An EOL alone cannot occur inside T.6 data either.
        stats.endOfPage = r.peek(24) === 0x001001;
        break;
      }
      const start = r.pos;
      const n = decode2D(r, width, ref, cur);
      if (n < 0) {
        r.pos = start;
        // Only zero padding left: the data simply ended without EOFB.
        if (r.pos + r.zeros() >= r.end) break;
        // T.6 has no resynchronisation point: the rest of the page is lost.
        bad();
        break;
      }
      good(n);
    }
  } else {
    const twoD = opts.compression === 'mr';
    const aligned = opts.alignedRows ?? false;
    let eolMode = false;
    let waitFor1D = false;
    while (stats.rows < maxRows) {
      if (aligned) r.pos = (r.pos + 7) & ~7;
      const z = r.zeros();
      if (r.pos + z >= r.end) break;
      let oneD = true;
      if (z >= 11) {
        // T.4 §4.1.2 / §4.1.3: EOL after any amount of fill.
        r.pos += z + 1;
        eolMode = true;
        if (twoD) {
          oneD = r.peek(1) === 1;
          r.pos++;
        }
        const z2 = r.zeros();
        if (r.pos + z2 >= r.end) break;
        if (z2 >= 11) {
          // T.4 §4.1.4: two EOLs in a row start RTC; before the first row it is just an extra EOL.
          if (stats.rows > 0) {
            stats.endOfPage = true;
            break;
          }
          continue;
        }
      }
      // A damaged row's codes can swallow the first zeros of the next EOL, so resynchronisation
      // searches again from where the row began.
      const rowStart = r.pos;
      if (!oneD && waitFor1D) {
        bad();
        if (!r.seekEol()) break;
        continue;
      }
      let n = oneD ? decode1D(r, width, cur) : decode2D(r, width, ref, cur);
      if (n >= 0 && eolMode) {
        // A row must be followed by an EOL (or the end): anything else means it was too long.
        const z3 = r.zeros();
        if (z3 < 11 && r.pos + z3 < r.end) n = -1;
      }
      if (n < 0) {
        bad();
        if (twoD) waitFor1D = true;
        r.pos = rowStart;
        if (!r.seekEol()) break;
        continue;
      }
      if (oneD) waitFor1D = false;
      good(n);
    }
  }
  while (stats.rows < maxRows && Number.isFinite(maxRows)) {
    // Rows the data never delivered: white, and counted as bad.
    sink(cur.fill(width, 0, 4), 0, true);
    stats.rows++;
    stats.badRows++;
    consecutive++;
    if (consecutive > stats.consecutiveBadRows) stats.consecutiveBadRows = consecutive;
  }
  return stats;
}

/**
 * Decodes MH, MR or MMR data into a bitmap (see decodeFaxRows for the tolerance rules).
 * Without `height` the bitmap has as many rows as the data held.
 */
export function decodeFax(data: Uint8Array, opts: FaxDecodeOptions): FaxDecodeResult {
  const { width } = opts;
  const stride = (width + 7) >> 3;
  let capacity = opts.height ?? Math.max(64, Math.ceil(data.length / Math.max(1, stride >> 3)));
  let buf = new Uint8Array(stride * capacity);
  let y = 0;
  const stats = decodeFaxRows(data, opts, (changes, n) => {
    if (y >= capacity) {
      capacity *= 2;
      const next = new Uint8Array(stride * capacity);
      next.set(buf);
      buf = next;
    }
    paintRow(buf, y * stride, width, changes, n);
    y++;
  });
  const bitmap = createBitmap(width, 0);
  bitmap.height = y;
  bitmap.data = buf.length === y * stride ? buf : buf.slice(0, y * stride);
  return { bitmap, ...stats };
}
