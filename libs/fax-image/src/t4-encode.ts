// T.4 (MH, MR) and T.6 (MMR) encoders working from changing-element lists.
import type { Bitmap } from './bitmap.ts';
import { BitWriter, REVERSED_BITS } from './bit-writer.ts';
import { rowChanges, rowChangesWords } from './changes.ts';
import {
  MAKEUP_CODE, MAKEUP_LEN, MODE_CODE, MODE_HORIZONTAL, MODE_LEN, MODE_PASS, MODE_V0, TERM_CODE, TERM_LEN,
} from './run-codes.ts';

export type FaxCompression = 'mh' | 'mr' | 'mmr';
/** Order of bits in each byte: 'msb-first' = TIFF FillOrder 1, 'lsb-first' = FillOrder 2 (as sent on a fax line). */
export type BitOrder = 'msb-first' | 'lsb-first';

export interface FaxEncodeOptions {
  compression: FaxCompression;
  /** MR: one 1-D row then K − 1 2-D rows (T.4 §4.2.1.1: 2 at standard, 4 at fine resolution). Default 4. */
  k?: number;
  /** MH/MR: an EOL before each row (T.4 §4.1.2). Default true. Without it rows follow each other directly. */
  eol?: boolean;
  /** MH/MR: fill before each EOL so that it ends on a byte boundary (TIFF T4Options bit 2). Default false. */
  alignEol?: boolean;
  /** MH without EOL: each row starts on a byte boundary (TIFF compression 2). Default false. */
  alignRows?: boolean;
  /**
   * MH/MR: minimum bits per coded row, data + fill + EOL (T.4 §4.1.3, from the minimum scan-line
   * time negotiated in T.30 DIS/DCS times the bit rate). Default 0.
   */
  minRowBits?: number;
  /** MH/MR: end with RTC, six EOLs (T.4 §4.1.4). Default true. */
  rtc?: boolean;
  /** MMR: end with EOFB (T.6 §2.4.1.1). Default true. */
  eofb?: boolean;
  /** Default 'msb-first'. */
  bitOrder?: BitOrder;
}

/**
 * Supplies row y as changing elements: writes them into `out` (room for width + 8) and returns
 * their count, or SAME_ROW when row y equals row y − 1 (then `out` is left alone). Lets the
 * transcoder feed decoded rows without painting a bitmap.
 */
export type RowSource = (y: number, out: Int32Array) => number;

/** RowSource result: this row is the previous one again. */
export const SAME_ROW = -1;

const EOL_CODE = 1;
const EOL_LEN = 12;

function putRun(w: BitWriter, colour: number, run: number): void {
  if (run < 64) {
    w.put(TERM_CODE[colour * 64 + run], TERM_LEN[colour * 64 + run]);
    return;
  }
  while (run >= 2624) {
    w.put(MAKEUP_CODE[colour * 41 + 40], MAKEUP_LEN[colour * 41 + 40]);
    run -= 2560;
  }
  if (run >= 64) {
    const m = colour * 41 + (run >> 6);
    w.put(MAKEUP_CODE[m], MAKEUP_LEN[m]);
    run &= 63;
  }
  w.put(TERM_CODE[colour * 64 + run], TERM_LEN[colour * 64 + run]);
}

// The row encoders below keep the writer's pending bits in locals and store bytes directly:
// code words are written millions of times per page, and going through object fields for each
// one costs more than the table lookups. PUT is spelled out inline each time:
//   acc = (acc << l) | c; nb += l;
//   if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }

/** Bytes a row can need at most: two code words per run, 26 bits, plus repeated 2560 make-ups. */
function rowReserve(changes: number, width: number): number {
  return 8 * (changes + 2) + 4 * (width / 2560 + 2);
}

/** T.4 §4.1.1: a row as alternating white and black runs, starting with white. */
function encode1D(w: BitWriter, cur: Int32Array, n: number, width: number): void {
  w.reserve(rowReserve(n, width));
  const buf = w.buf;
  const termCode = TERM_CODE;
  const termLen = TERM_LEN;
  let len = w.length;
  let acc = w.acc;
  let nb = w.nbits;
  let prev = 0;
  let colour = 0;
  for (let i = 0; i <= n; i++) {
    const x = i < n ? cur[i] : width;
    let run = x - prev;
    prev = x;
    if (run >= 64) {
      while (run >= 2624) {
        const m = colour * 41 + 40;
        acc = (acc << MAKEUP_LEN[m]) | MAKEUP_CODE[m];
        nb += MAKEUP_LEN[m];
        if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
        run -= 2560;
      }
      if (run >= 64) {
        const m = colour * 41 + (run >> 6);
        acc = (acc << MAKEUP_LEN[m]) | MAKEUP_CODE[m];
        nb += MAKEUP_LEN[m];
        if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
        run &= 63;
      }
    }
    const t = colour * 64 + run;
    const l = termLen[t];
    acc = (acc << l) | termCode[t];
    nb += l;
    if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
    colour ^= 1;
  }
  w.length = len;
  w.acc = acc;
  w.nbits = nb;
}

/** Vertical-mode code words VL3..VR3 (T.4 Table 4) as (length << 8) | code: one load each. */
const V_CODES = Int32Array.from({ length: 7 }, (_, i) => (MODE_LEN[MODE_V0 - 3 + i] << 8) | MODE_CODE[MODE_V0 - 3 + i]);

/**
 * T.4 §4.2.1.3 / T.6 §2.2: the row coded against the reference row. Both lists need six sentinels
 * (width) after their last entry.
 */
function encode2D(w: BitWriter, cur: Int32Array, n: number, ref: Int32Array, width: number): void {
  w.reserve(rowReserve(n, width));
  const buf = w.buf;
  let len = w.length;
  let acc = w.acc;
  let nb = w.nbits;
  let a0 = -1;
  let colour = 0;
  let ci = 0;
  let bi = 0;
  while (a0 < width) {
    // b1: first change on the reference line right of a0 with the colour opposite to a0's,
    // which is an entry whose index parity equals a0's colour; bi keeps that parity.
    while (ref[bi] <= a0) bi += 2;
    const b1 = ref[bi];
    const a1 = cur[ci];
    if (a1 === b1) {
      // V0, the commonest code on text (strokes continue straight down): a single 1 bit. b2
      // lies right of b1, so this is never a pass. Each V0 leaves b1 at the next reference
      // change, so a stretch where both lists agree is that many V0s, counted without coding
      // each (up to and including the change at width, which ends the row).
      let k = 1;
      while (cur[ci + k - 1] < width && cur[ci + k] === ref[bi + k]) k++;
      ci += k;
      bi += k;
      a0 = cur[ci - 1];
      colour ^= k & 1;
      while (k > 0) {
        const l = k < 16 ? k : 16;
        k -= l;
        acc = (acc << l) | ((1 << l) - 1);
        nb += l;
        if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
      }
      continue;
    }
    const b2 = ref[bi + 1];
    if (b2 < a1) {
      acc = (acc << 4) | MODE_CODE[MODE_PASS];
      nb += 4;
      if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
      a0 = b2;
      bi += 2;
      continue;
    }
    const d = a1 - b1;
    if (d >= -3 && d <= 3) {
      const vc = V_CODES[d + 3];
      const l = vc >> 8;
      acc = (acc << l) | (vc & 0xff);
      nb += l;
      if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
      bi = d < 0 && bi > 0 && ref[bi - 1] > a1 ? bi - 1 : bi + 1;
      a0 = a1;
      colour ^= 1;
      ci++;
      continue;
    }
    const a2 = cur[ci + 1];
    acc = (acc << 3) | MODE_CODE[MODE_HORIZONTAL];
    nb += 3;
    if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
    const r1 = a1 - (a0 < 0 ? 0 : a0);
    const r2 = a2 - a1;
    if (r1 < 64 && r2 < 64) {
      const t1 = colour * 64 + r1;
      let l = TERM_LEN[t1];
      acc = (acc << l) | TERM_CODE[t1];
      nb += l;
      if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
      const t2 = (colour ^ 1) * 64 + r2;
      l = TERM_LEN[t2];
      acc = (acc << l) | TERM_CODE[t2];
      nb += l;
      if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
    } else {
      w.length = len;
      w.acc = acc;
      w.nbits = nb;
      putRun(w, colour, r1);
      putRun(w, colour ^ 1, r2);
      len = w.length;
      acc = w.acc;
      nb = w.nbits;
    }
    a0 = a2;
    ci += 2;
  }
  w.length = len;
  w.acc = acc;
  w.nbits = nb;
}

/**
 * T.4 §4.2.1.3.2 / T.6 §2.2.3.1: a row equal to its reference row is n + 1 vertical-mode V0
 * codes (each a1 lands on b1, ending at a1 = b1 = width), a single 1 bit each, written 16 at a time.
 */
function encodeSameRow(w: BitWriter, n: number): void {
  let count = n + 1;
  w.reserve((count >> 3) + 4);
  const buf = w.buf;
  let len = w.length;
  let acc = w.acc;
  let nb = w.nbits;
  while (count > 0) {
    const l = count < 16 ? count : 16;
    count -= l;
    acc = (acc << l) | ((1 << l) - 1);
    nb += l;
    if (nb >= 16) { nb -= 16; const v = acc >>> nb; buf[len++] = v >>> 8; buf[len++] = v; acc &= (1 << nb) - 1; }
  }
  w.length = len;
  w.acc = acc;
  w.nbits = nb;
}

/**
 * Encodes `height` rows of `width` pixels supplied as changing elements.
 * @returns the coded data, in the requested bit order, last byte zero-padded.
 */
export function encodeFaxRows(width: number, height: number, source: RowSource, opts: FaxEncodeOptions): Uint8Array {
  const w = BitWriter.reusing(Math.max(1024, (width * height) >> 5));
  encodeRowsInto(w, width, height, source, opts);
  const out = w.finish();
  w.release();
  if ((opts.bitOrder ?? 'msb-first') === 'lsb-first') {
    for (let i = 0; i < out.length; i++) out[i] = REVERSED_BITS[out[i]];
  }
  return out;
}

/**
 * The rows and end marker of encodeFaxRows written into `w`. `ref0` is the changing-element
 * list (with six width sentinels) of the row before the first one, for a part of a page; a
 * page starts from an imaginary white row (T.4 §4.2.1.3.1, T.6 §2.2.1).
 */
function encodeRowsInto(w: BitWriter, width: number, height: number, source: RowSource, opts: FaxEncodeOptions, ref0?: { changes: Int32Array; n: number }): void {
  const mode = opts.compression;
  const k = Math.max(1, opts.k ?? 4);
  const eol = mode !== 'mmr' && (opts.eol ?? true);
  const alignEol = eol && (opts.alignEol ?? false);
  const alignRows = !eol && mode === 'mh' && (opts.alignRows ?? false);
  const minRowBits = eol ? (opts.minRowBits ?? 0) : 0;
  if (mode === 'mr' && !eol) throw new Error('MR needs EOLs: the 1-D/2-D tag bit follows each EOL (T.4 §4.2.1.3.4)');
  let cur = new Int32Array(width + 8);
  let ref = new Int32Array(width + 8);
  ref.fill(width);
  let refN = 0;
  if (ref0) {
    ref.set(ref0.changes.subarray(0, ref0.n + 6));
    refN = ref0.n;
  }
  const putEol = (tag: number) => {
    if (alignEol) {
      const end = (w.bitLength + EOL_LEN) & 7;
      if (end) w.zeros(8 - end);
    }
    if (mode === 'mr') w.put((EOL_CODE << 1) | tag, EOL_LEN + 1);
    else w.put(EOL_CODE, EOL_LEN);
  };
  for (let y = 0; y < height; y++) {
    let n = source(y, cur);
    const same = n === SAME_ROW && y > 0;
    if (n === SAME_ROW) {
      n = refN;
      if (mode === 'mmr') {
        // The reference row stays as it is: nothing to swap.
        encodeSameRow(w, n);
        continue;
      }
      cur.set(ref.subarray(0, n + 6));
    }
    cur.fill(width, n, n + 6);
    refN = n;
    if (mode === 'mmr') {
      encode2D(w, cur, n, ref, width);
    } else {
      const oneD = mode === 'mh' || y % k === 0;
      if (eol) putEol(oneD ? 1 : 0);
      else if (alignRows) w.alignByte();
      const start = w.bitLength;
      if (oneD) encode1D(w, cur, n, width);
      else if (same) encodeSameRow(w, n);
      else encode2D(w, cur, n, ref, width);
      if (minRowBits > 0) {
        // T.4 §4.1.3: fill goes between the row data and the next EOL.
        const used = w.bitLength - start + EOL_LEN;
        if (used < minRowBits) w.zeros(minRowBits - used);
      }
    }
    const t = ref;
    ref = cur;
    cur = t;
  }
  if (mode === 'mmr') {
    // T.6 §2.4.1.1: EOFB = EOL EOL.
    if (opts.eofb ?? true) {
      w.put(EOL_CODE, EOL_LEN);
      w.put(EOL_CODE, EOL_LEN);
    }
  } else if (opts.rtc ?? true) {
    // T.4 §4.1.4 / §4.2.1.3.3: RTC = six EOLs (each followed by tag 1 in MR), no fill between them.
    // (Without EOLs the mode is MH, which has no tag bit.)
    if (eol) putEol(1);
    else w.put(EOL_CODE, EOL_LEN);
    for (let i = 0; i < 5; i++) {
      if (mode === 'mr') w.put((EOL_CODE << 1) | 1, EOL_LEN + 1);
      else w.put(EOL_CODE, EOL_LEN);
    }
  }
}

/**
 * Encodes a bitmap as MH, MR or MMR in the line or file form chosen by `opts`.
 * @example encodeFax(page, { compression: 'mr', k: 4, minRowBits: 96, bitOrder: 'lsb-first' })
 */
export function encodeFax(bitmap: Bitmap, opts: FaxEncodeOptions): Uint8Array {
  return encodeFaxRows(bitmap.width, bitmap.height, bitmapRows(bitmap, 0), opts);
}

/** A part of an MMR page: its bits, MSB first, and how many of them there are. */
export interface MmrBits {
  data: Uint8Array;
  bits: number;
}

/**
 * Rows [from, to) of a bitmap as MMR (T.6 §2.2), coded against row from − 1 as the real
 * encoding of the whole page does, so that parts coded separately and joined bit to bit
 * (joinBits) equal the whole page's encoding. EOFB after them when `eofb`.
 */
export function encodeMmrPart(bitmap: Bitmap, from: number, to: number, eofb: boolean): MmrBits {
  const { width } = bitmap;
  let ref0: { changes: Int32Array; n: number } | undefined;
  if (from > 0) {
    const changes = new Int32Array(width + 8);
    const n = rowChanges(bitmap.data, (from - 1) * bitmap.stride, width, changes);
    changes.fill(width, n, n + 6);
    ref0 = { changes, n };
  }
  const w = BitWriter.reusing(Math.max(1024, (width * (to - from)) >> 5));
  encodeRowsInto(w, width, to - from, bitmapRows(bitmap, from), { compression: 'mmr', eofb }, ref0);
  const bits = w.bitLength;
  const data = w.finish();
  w.release();
  return { data, bits };
}

/** `a` then `b`, bit to bit, zero-padded to a whole byte. */
export function joinBits(a: MmrBits, b: MmrBits): Uint8Array {
  const out = new Uint8Array((a.bits + b.bits + 7) >> 3);
  const whole = a.bits >> 3;
  const shift = a.bits & 7;
  out.set(a.data.subarray(0, (a.bits + 7) >> 3));
  if (shift === 0) {
    out.set(b.data.subarray(0, out.length - whole), whole);
    return out;
  }
  // a's last byte holds `shift` bits and zero padding: b's bits continue there.
  const n = (b.bits + 7) >> 3;
  let at = whole;
  for (let i = 0; i < n; i++) {
    const v = b.data[i];
    out[at] |= v >>> shift;
    if (at + 1 < out.length) out[at + 1] = (v << (8 - shift)) & 0xff;
    at++;
  }
  return out;
}

/** Rows of a bitmap from row `from` on, as a RowSource. */
function bitmapRows(bitmap: Bitmap, from: number): RowSource {
  const { data, stride, width } = bitmap;
  if ((data.byteOffset & 3) !== 0 || (stride & 3) !== 0 || width === 0) {
    return (y, out) => rowChanges(data, (from + y) * stride, width, out);
  }
  // Rows on word boundaries (1728 pels is 216 bytes): compare each row with the one above a
  // word at a time (blank space and vertical strokes repeat rows) and skip white words.
  const words = new Uint32Array(data.buffer, data.byteOffset, (stride * bitmap.height) >> 2);
  const rowWords = stride >> 2;
  // Padding bits after the last pel are not compared: they are not part of the image.
  const lastMask = width & 31 ? (0xffffffff << (32 - (width & 31))) >>> 0 : 0xffffffff;
  const lastWord = ((width + 31) >> 5) - 1;
  return (y, out) => {
    const o = (from + y) * rowWords;
    if (y > 0) {
      const p = o - rowWords;
      let i = 0;
      while (i < lastWord && words[o + i] === words[p + i]) i++;
      if (i === lastWord && ((bswap(words[o + i]) ^ bswap(words[p + i])) & lastMask) === 0) return SAME_ROW;
    }
    return rowChangesWords(data, words, o << 2, width, out);
  };
}

/** A little-endian word read from MSB-first bytes, turned so that the first pel is bit 31. */
function bswap(v: number): number {
  return ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
