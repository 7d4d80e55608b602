// Class F (RFC 2306) files from bitmaps, and page slices of existing files.
import type { Bitmap } from './bitmap.ts';
import { encodeFax, encodeMmrPart, joinBits, type FaxCompression, type MmrBits } from './t4-encode.ts';
import { readTiff } from './tiff-read.ts';
import { COMPRESSION, T4_2D, T4_FILL } from './tiff-tags.ts';
import { writeTiffRaw, type RawTiffPage } from './tiff-write.ts';

/** A fax page: 204 × 196 dpi (fine) or 204 × 98 (standard); 391 for superfine. */
export interface FaxPage {
  bitmap: Bitmap;
  xDpi: number;
  yDpi: number;
  /** Rows a receiver had to regenerate (TIFF BadFaxLines). */
  badFaxLines?: number;
  consecutiveBadFaxLines?: number;
  /**
   * A hint that rows `fromRow`.. of `bitmap` are those of `base.bitmap` (a header line stamped
   * over a shared document page): the MMR coding of those rows is then made once per base
   * and joined to each page's own top rows. Checked, so a wrong hint costs time, not pixels.
   */
  base?: { bitmap: Bitmap; fromRow: number };
}

/** T.4 §4.2.1.1: K = 2 at standard, 4 at fine; superfine uses 8 as T.30 receivers expect. */
export function defaultK(yDpi: number): number {
  return yDpi > 300 ? 8 : yDpi > 150 ? 4 : 2;
}

/** The MMR coding of a base page's rows from `from` on, coded after the reference row `refRow`. */
interface CodedRows extends MmrBits {
  from: number;
  refRow: Uint8Array;
}

const codedBases = new WeakMap<Bitmap, CodedRows>();

/**
 * The page as one MMR strip. A page stamped over a shared base (every recipient's copy of a
 * document page) codes only its own top rows and joins the base's coded rows below: T.6 codes
 * each row against the one above, so the join equals coding the whole page whenever the row
 * above the shared part is the same, which is checked along with the shared rows themselves.
 */
function mmrStrip(page: FaxPage): Uint8Array {
  const { bitmap: b, base } = page;
  const from = base?.fromRow ?? 0;
  const shared = base !== undefined && from > 0 && from < b.height && base.bitmap.width === b.width &&
    base.bitmap.height === b.height && base.bitmap.stride === b.stride &&
    Buffer.compare(b.data.subarray(from * b.stride, b.height * b.stride), base.bitmap.data.subarray(from * b.stride, b.height * b.stride)) === 0;
  if (!shared) return encodeFax(b, { compression: 'mmr', eofb: true });
  const refRow = b.data.subarray((from - 1) * b.stride, from * b.stride);
  let rows = codedBases.get(base.bitmap);
  if (!rows || rows.from !== from || Buffer.compare(rows.refRow, refRow) !== 0) {
    rows = { from, refRow: refRow.slice(), ...encodeMmrPart(b, from, b.height, true) };
    codedBases.set(base.bitmap, rows);
  }
  return joinBits(encodeMmrPart(b, 0, from, false), rows);
}

/** Codes one page as a Class F strip. */
export function faxPageToRaw(page: FaxPage, compression: FaxCompression): RawTiffPage {
  const { bitmap } = page;
  // RFC 2306 §2.2.3: MH/MR strips carry EOLs, here byte-aligned (T4Options bit 2), no RTC.
  const data = compression === 'mmr' ? mmrStrip(page) : encodeFax(bitmap, {
    compression, k: defaultK(page.yDpi), alignEol: true, rtc: false, eofb: true,
  });
  return {
    width: bitmap.width,
    height: bitmap.height,
    xDpi: page.xDpi,
    yDpi: page.yDpi,
    compression: compression === 'mmr' ? COMPRESSION.t6 : COMPRESSION.t4,
    t4Options: compression === 'mr' ? T4_2D | T4_FILL : T4_FILL,
    t6Options: 0,
    fillOrder: 1,
    rowsPerStrip: bitmap.height,
    strips: [data],
    badFaxLines: page.badFaxLines,
    consecutiveBadFaxLines: page.consecutiveBadFaxLines,
  };
}

/** Multi-page TIFF Class F, one strip per page. Default compression 'mmr' (T.6, TIFF compression 4). */
export function writeTiff(pages: FaxPage[], opts?: { compression?: FaxCompression }): Uint8Array {
  const compression = opts?.compression ?? 'mmr';
  return writeTiffRaw(pages.map((p) => faxPageToRaw(p, compression)));
}

/**
 * A new TIFF holding pages [from, to) of an existing one. Pages already in Class F form (one
 * CCITT strip, WhiteIsZero) are copied byte for byte; others are decoded and re-coded as MMR.
 */
export function sliceTiff(data: Uint8Array, from: number, to: number): Uint8Array {
  return joinTiffSlices([{ data, from, to }]);
}

/**
 * One TIFF holding pages [from, to) of each given TIFF, in order (the documents of a batched
 * call back to back). Pages are copied as sliceTiff copies them.
 */
export function joinTiffSlices(slices: { data: Uint8Array; from: number; to: number }[]): Uint8Array {
  const out: RawTiffPage[] = [];
  for (const { data, from, to } of slices) {
    const pages = readTiff(data);
    if (from < 0 || to > pages.length || from > to) {
      throw new RangeError(`page range [${from}, ${to}) outside 0..${pages.length}`);
    }
    for (const p of pages.slice(from, to)) out.push(copyPage(p));
  }
  return writeTiffRaw(out);
}

/** A page already in Class F form (one CCITT strip, WhiteIsZero) byte for byte, others re-coded as MMR. */
function copyPage(p: ReturnType<typeof readTiff>[number]): RawTiffPage {
  const copyable = p.strips.length === 1 && p.photometric === 0 && p.rowsPerStrip >= p.height &&
    (p.compressionCode === COMPRESSION.t4 || p.compressionCode === COMPRESSION.t6);
  if (copyable) {
    return {
      width: p.width, height: p.height, xDpi: p.xDpi, yDpi: p.yDpi,
      compression: p.compressionCode, t4Options: p.t4Options, t6Options: 0, fillOrder: p.fillOrder,
      rowsPerStrip: p.height, strips: [p.strips[0]],
      badFaxLines: p.badFaxLines, consecutiveBadFaxLines: p.consecutiveBadFaxLines,
    };
  }
  return faxPageToRaw({ bitmap: p.decode(), xDpi: p.xDpi, yDpi: p.yDpi, badFaxLines: p.badFaxLines, consecutiveBadFaxLines: p.consecutiveBadFaxLines }, 'mmr');
}
