// Tolerant T.4 (MH, MR) and T.6 (MMR) decoders producing changing-element lists.
import { createBitmap, type Bitmap } from './bitmap.ts';
import { BitReader } from './bit-reader.ts';
import { paintRow } from './changes.ts';
import type { BitOrder, FaxCompression } from './t4-encode.ts';
import {
  BLACK_DECODE, MODE_DECODE, MODE_HORIZONTAL, MODE_PASS, MODE_PEEK_BITS, MODE_V0, RUN_PEEK_BITS,
  PAIR_PASS, PAIR_PEEK_BITS, RUN_PAIR_DECODE, TERMINATING_FLAG, V_PAIR_DECODE, WHITE_DECODE,
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
  /**
   * MH/MR as received from a line: T.4 §4.1.2 has an EOL sent before the first row, so what
   * precedes the first EOL is not page data (a modem's idle ones while the sender's DTE had not
   * started, noise before the data) and is skipped. Off for stored data, which may lack EOLs.
   */
  leadingEol?: boolean;
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
  /**
   * Rows that vanished in damaged stretches, estimated (MH/MR with EOLs): a burst of line noise
   * destroys the EOLs between the rows it hits, so resynchronisation skips several rows' bits
   * and finds one bad row. The skipped bits divided by the mean length of the page's good rows
   * give the rows they held; all but the one counted bad are lost. Not in `rows`.
   */
  lostRows: number;
}

export interface FaxDecodeResult extends FaxDecodeStats {
  bitmap: Bitmap;
}

/** Receives each row as changing elements; `bad` marks a substituted (repeated or missing) row. */
export type RowSink = (changes: Int32Array, count: number, bad: boolean) => void;

/** 32 bits from bit position pos, MSB first; at least 25 of them are real (the buffer is padded). */
function load(d: DataView, pos: number): number {
  return d.getInt32(pos >>> 3) << (pos & 7);
}

// The row decoders keep a window `w` of the next bits (`avail` of them valid) in locals and
// reload it from the byte buffer only when a code might not fit: one load per 2-3 codes.

/** T.4 §4.1.1: one MH row into cur; returns the change count or -1. */
function decode1D(r: BitReader, width: number, cur: Int32Array): number {
  const d = r.view;
  const white = WHITE_DECODE;
  const black = BLACK_DECODE;
  let pos = r.pos;
  let w = load(d, pos);
  let avail = 32 - (pos & 7);
  const pairs = RUN_PAIR_DECODE;
  const end = r.end;
  let a = 0;
  let colour = 0;
  let n = 0;
  for (;;) {
    if (avail < RUN_PEEK_BITS) {
      w = load(d, pos);
      avail = 32 - (pos & 7);
    }
    const pe = pairs[(colour << RUN_PEEK_BITS) | (w >>> (32 - RUN_PEEK_BITS))];
    if (pe !== 0) {
      // Two short runs from one lookup, each handled as in the general path below.
      const r1 = pe & 63;
      a += r1;
      if (a >= width) {
        pos += (pe >>> 12) & 15;
        r.pos = pos;
        return a === width && pos <= end ? n : -1;
      }
      if (r1 === 0 && n > 0 && cur[n - 1] === a) n--;
      else cur[n++] = a;
      const r2 = (pe >>> 6) & 63;
      const l = (pe >>> 16) & 31;
      w <<= l;
      avail -= l;
      pos += l;
      a += r2;
      if (a >= width || pos > end) {
        r.pos = pos;
        return a === width && pos <= end ? n : -1;
      }
      if (r2 === 0 && n > 0 && cur[n - 1] === a) n--;
      else cur[n++] = a;
      continue;
    }
    const table = colour ? black : white;
    let run = 0;
    for (;;) {
      if (avail < RUN_PEEK_BITS) {
        w = load(d, pos);
        avail = 32 - (pos & 7);
      }
      const e = table[w >>> (32 - RUN_PEEK_BITS)];
      if (e === 0) {
        r.pos = pos;
        return -1;
      }
      const len = (e >>> 16) & 0xff;
      w <<= len;
      avail -= len;
      pos += len;
      run += e & 0xffff;
      if (e & TERMINATING_FLAG) break;
      if (run > width) {
        r.pos = pos;
        return -1;
      }
    }
    a += run;
    if (a >= width || pos > r.end) {
      r.pos = pos;
      return a === width && pos <= r.end ? n : -1;
    }
    // A zero-length run cancels the previous change, so lists stay strictly increasing.
    if (run === 0 && n > 0 && cur[n - 1] === a) n--;
    else cur[n++] = a;
    colour ^= 1;
  }
}

/** T.4 §4.2.1.3 / T.6 §2.2: one 2-D row against ref (which has six width sentinels); change count or -1. */
function decode2D(r: BitReader, width: number, ref: Int32Array, cur: Int32Array): number {
  const d = r.view;
  const modes = MODE_DECODE;
  const pairs = V_PAIR_DECODE;
  const runPairs = RUN_PAIR_DECODE;
  const white = WHITE_DECODE;
  const black = BLACK_DECODE;
  const end = r.end;
  let pos = r.pos;
  let w = load(d, pos);
  let avail = 32 - (pos & 7);
  let a0 = -1;
  let colour = 0;
  let n = 0;
  let bi = 0;
  // bi always indexes a reference change of the parity b1 needs (its index parity equals a0's
  // colour); stepping by 2 keeps that parity.
  while (a0 < width) {
    while (ref[bi] <= a0) bi += 2;
    if (avail < PAIR_PEEK_BITS) {
      w = load(d, pos);
      avail = 32 - (pos & 7);
    }
    const pe = pairs[w >>> (32 - PAIR_PEEK_BITS)];
    if (pe !== 0) {
      // Two vertical or pass modes in a row, each handled exactly as in the single-code path below.
      let l = (pe >> 9) & 7;
      w <<= l;
      avail -= l;
      pos += l;
      let m = (pe >> 6) & 7;
      if (m === PAIR_PASS) {
        a0 = ref[bi + 1];
        bi += 2;
      } else {
        const a1 = ref[bi] + m - 3;
        if (a1 < a0 || a1 < 0 || a1 > width) break;
        if (a1 === a0 && n > 0 && cur[n - 1] === a1) n--;
        else if (a1 < width) cur[n++] = a1;
        bi += 1 - ((bi > 0 ? (a1 - ref[bi - 1]) >>> 31 : 0) << 1);
        a0 = a1;
        colour ^= 1;
      }
      // The second code may already belong to the next row.
      if (a0 >= width) break;
      while (ref[bi] <= a0) bi += 2;
      l = (pe >> 3) & 7;
      w <<= l;
      avail -= l;
      pos += l;
      m = pe & 7;
      if (m === PAIR_PASS) {
        a0 = ref[bi + 1];
        bi += 2;
      } else {
        const a1 = ref[bi] + m - 3;
        if (a1 < a0 || a1 > width) break;
        if (a1 === a0 && n > 0 && cur[n - 1] === a1) n--;
        else if (a1 < width) cur[n++] = a1;
        bi += 1 - ((bi > 0 ? (a1 - ref[bi - 1]) >>> 31 : 0) << 1);
        a0 = a1;
        colour ^= 1;
      }
      if (pos > end) break;
      continue;
    }
    const e = modes[w >>> (32 - MODE_PEEK_BITS)];
    const mode = e & 0xff;
    const len = e >> 8;
    w <<= len;
    avail -= len;
    pos += len;
    if (mode >= MODE_V0 - 3 && mode <= MODE_V0 + 3) {
      const a1 = ref[bi] + mode - MODE_V0;
      if (a1 < a0 || a1 < 0 || a1 > width) break;
      // A zero-length run (a1 = a0) cancels the previous change, so lists stay strictly increasing.
      if (a1 === a0 && n > 0 && cur[n - 1] === a1) n--;
      else if (a1 < width) cur[n++] = a1;
      // The next b1 has the other parity: the change just before b1 if a1 went left of it.
      // (Only a left shift can put a1 before ref[bi - 1]; computed without a branch on the mode.)
      const back = bi > 0 ? (a1 - ref[bi - 1]) >>> 31 : 0;
      bi += 1 - (back << 1);
      a0 = a1;
      colour ^= 1;
    } else if (mode === MODE_PASS) {
      a0 = ref[bi + 1];
      bi += 2;
    } else if (mode === MODE_HORIZONTAL) {
      let a = a0 < 0 ? 0 : a0;
      let c = colour;
      if (avail < RUN_PEEK_BITS) {
        w = load(d, pos);
        avail = 32 - (pos & 7);
      }
      // Both runs short: one lookup for the pair (the loop below then has nothing left to do).
      const pe = runPairs[(colour << RUN_PEEK_BITS) | (w >>> (32 - RUN_PEEK_BITS))];
      const runsLeft = pe === 0 ? 2 : 0;
      if (pe !== 0) {
        const l = (pe >>> 16) & 31;
        w <<= l;
        avail -= l;
        pos += l;
        const r1 = pe & 63;
        a += r1;
        if (a > width) {
          r.pos = pos;
          return -1;
        }
        if (r1 === 0 && n > 0 && cur[n - 1] === a) n--;
        else if (a < width) cur[n++] = a;
        const r2 = (pe >>> 6) & 63;
        a += r2;
        if (a > width) {
          r.pos = pos;
          return -1;
        }
        if (r2 === 0 && n > 0 && cur[n - 1] === a) n--;
        else if (a < width) cur[n++] = a;
      }
      // Two runs: a0a1 in a0's colour, then a1a2 in the other.
      for (let k = 0; k < runsLeft; k++) {
        const table = c ? black : white;
        let run = 0;
        for (;;) {
          if (avail < RUN_PEEK_BITS) {
            w = load(d, pos);
            avail = 32 - (pos & 7);
          }
          const t = table[w >>> (32 - RUN_PEEK_BITS)];
          if (t === 0) {
            r.pos = pos;
            return -1;
          }
          const l = (t >>> 16) & 0xff;
          w <<= l;
          avail -= l;
          pos += l;
          run += t & 0xffff;
          if (t & TERMINATING_FLAG) break;
          if (run > width) {
            r.pos = pos;
            return -1;
          }
        }
        a += run;
        if (a > width) {
          r.pos = pos;
          return -1;
        }
        if (run === 0 && n > 0 && cur[n - 1] === a) n--;
        else if (a < width) cur[n++] = a;
        c ^= 1;
      }
      a0 = a;
    } else {
      // EOL, uncompressed-mode extension (not supported) or garbage.
      r.pos = pos;
      return -1;
    }
    if (pos > end) break;
  }
  r.pos = pos;
  return a0 === width && pos <= end ? n : -1;
}

function sentinels(list: Int32Array, n: number, width: number): void {
  list.fill(width, n, n + 6);
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
  const stats: FaxDecodeStats = { rows: 0, badRows: 0, consecutiveBadRows: 0, endOfPage: false, lostRows: 0 };
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
    // Bits of the good rows (EOL included) and of each stretch a bad row skipped, to size the
    // stretches once the page's mean row length is known. A local mean misjudges them: measured
    // on a text page whose burst fell after blank rows, it made 46 lost rows 269.
    let goodBits = 0;
    let goodRows = 0;
    const spans: number[] = [];
    let lineStart = r.pos;
    const skipped = () => {
      if (eolMode) spans.push(r.pos - lineStart);
    };
    if (opts.leadingEol && !aligned) r.seekEol();
    while (stats.rows < maxRows) {
      if (aligned) r.pos = (r.pos + 7) & ~7;
      lineStart = r.pos;
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
        const found = r.seekEol();
        skipped();
        if (!found) break;
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
        const found = r.seekEol();
        skipped();
        if (!found) break;
        continue;
      }
      if (oneD) waitFor1D = false;
      goodBits += r.pos - lineStart;
      goodRows++;
      good(n);
    }
    if (goodRows > 0) for (const span of spans) stats.lostRows += Math.max(0, Math.round(span / (goodBits / goodRows)) - 1);
  }
  while (stats.rows < maxRows && Number.isFinite(maxRows)) {
    // Rows the data never delivered: white, and counted as bad.
    sink(cur.fill(width, 0, 6), 0, true);
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
