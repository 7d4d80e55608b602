// Class F (RFC 2306) files from bitmaps, and page slices of existing files.
import type { Bitmap } from './bitmap.ts';
import { encodeFax, type FaxCompression } from './t4-encode.ts';
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
}

/** T.4 §4.2.1.1: K = 2 at standard, 4 at fine; superfine uses 8 as T.30 receivers expect. */
export function defaultK(yDpi: number): number {
  return yDpi > 300 ? 8 : yDpi > 150 ? 4 : 2;
}

/** Codes one page as a Class F strip. */
export function faxPageToRaw(page: FaxPage, compression: FaxCompression): RawTiffPage {
  const { bitmap } = page;
  // RFC 2306 §2.2.3: MH/MR strips carry EOLs, here byte-aligned (T4Options bit 2), no RTC.
  const data = encodeFax(bitmap, {
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
  const pages = readTiff(data);
  if (from < 0 || to > pages.length || from > to) {
    throw new RangeError(`page range [${from}, ${to}) outside 0..${pages.length}`);
  }
  const out: RawTiffPage[] = pages.slice(from, to).map((p) => {
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
  });
  return writeTiffRaw(out);
}
