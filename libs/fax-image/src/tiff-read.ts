// TIFF reader for bilevel pages: Class F as we write it, and what other programs write
// (several strips, FillOrder 2, uncompressed, PackBits, LZW, Deflate, CCITT RLE, G3 with or without
// aligned EOLs).
import { createBitmap, type Bitmap } from './bitmap.ts';
import { REVERSED_BITS } from './bit-writer.ts';
import { inflateSync } from 'node:zlib';
import { unLzw } from './lzw.ts';
import { unpackBits } from './packbits.ts';
import { decodeFax } from './t4-decode.ts';
import type { FaxCompression } from './t4-encode.ts';
import { COMPRESSION, T4_2D, TAG, TYPE_SIZE } from './tiff-tags.ts';

export interface TiffPageInfo {
  width: number;
  height: number;
  xDpi: number;
  yDpi: number;
  /** 'mh', 'mr', 'mmr', 'none', 'packbits', 'lzw', 'deflate', 'ccittrle' or 'unknown(N)'. */
  compression: string;
  fillOrder: 1 | 2;
  badFaxLines?: number;
}

export interface TiffPage extends TiffPageInfo {
  /** Decodes the page; CCITT data is decoded tolerantly (bad rows repeat the previous row). */
  decode(): Bitmap;
}

/** What readTiff knows about a page beyond TiffPage: used to copy coded data without decoding. */
export interface TiffPageRaw extends TiffPage {
  compressionCode: number;
  t4Options: number;
  photometric: number;
  rowsPerStrip: number;
  strips: Uint8Array[];
  consecutiveBadFaxLines?: number;
  /** Decodes and reports bad rows found in the data. */
  decodeWithStats(): { bitmap: Bitmap; badRows: number; consecutiveBadRows: number };
}

/**
 * The largest page a fax can be, checked against what a TIFF declares before anything is
 * allocated (a 1728 × 5,000,000 header would otherwise cost > 1 GB). Width: T.4 §2 / T.30 Table 2
 * top out at A3 at 1200 pels/inch (14,592 pels), 16,384 leaves room. Length: T.30 allows
 * unlimited length, but 65,536 rows are 8.5 m at 196 lines/inch and 1.4 m at 1200.
 * Pixels: 2^28 (a 32 MiB bitmap) bounds the product of the two.
 */
export const FAX_PAGE_LIMITS = { maxWidth: 16_384, maxHeight: 65_536, maxPixels: 2 ** 28 } as const;

/** Throws unless a declared page size is one a fax page can have. */
export function checkFaxPageSize(width: number, height: number, page = 0): void {
  const { maxWidth, maxHeight, maxPixels } = FAX_PAGE_LIMITS;
  if (!(width >= 1 && height >= 1 && width <= maxWidth && height <= maxHeight && width * height <= maxPixels)) {
    throw new Error(`TIFF page ${page} declares ${width}x${height} pixels, more than a fax page can be (at most ${maxWidth} wide, ${maxHeight} long, ${maxPixels} pixels)`);
  }
}

type Values = number[];

function parseIfd(data: Uint8Array, dv: DataView, le: boolean, off: number): { tags: Map<number, Values>; next: number } {
  if (off + 2 > data.length) throw new Error(`TIFF IFD offset ${off} beyond end of file`);
  const n = dv.getUint16(off, le);
  const tags = new Map<number, Values>();
  for (let i = 0; i < n; i++) {
    const e = off + 2 + i * 12;
    if (e + 12 > data.length) throw new Error('TIFF IFD truncated');
    const tag = dv.getUint16(e, le);
    const type = dv.getUint16(e + 2, le);
    const count = dv.getUint32(e + 4, le);
    const size = TYPE_SIZE[type];
    if (!size) continue;
    let at = e + 8;
    if (size * count > 4) at = dv.getUint32(e + 8, le);
    if (at + size * count > data.length) throw new Error(`TIFF tag ${tag} points beyond end of file`);
    const values: number[] = [];
    for (let j = 0; j < count; j++) {
      const p = at + j * size;
      switch (type) {
        case 1: case 2: case 6: case 7: values.push(data[p]); break;
        case 3: case 8: values.push(dv.getUint16(p, le)); break;
        case 4: case 9: values.push(dv.getUint32(p, le)); break;
        case 5: case 10: {
          const den = dv.getUint32(p + 4, le);
          values.push(den ? dv.getUint32(p, le) / den : 0);
          break;
        }
        default: values.push(0);
      }
    }
    tags.set(tag, values);
  }
  return { tags, next: dv.getUint32(off + 2 + n * 12, le) };
}

function compressionName(code: number, t4Options: number): string {
  switch (code) {
    case COMPRESSION.none: return 'none';
    case COMPRESSION.ccittrle: return 'ccittrle';
    case COMPRESSION.t4: return t4Options & T4_2D ? 'mr' : 'mh';
    case COMPRESSION.t6: return 'mmr';
    case COMPRESSION.packbits: return 'packbits';
    case COMPRESSION.lzw: return 'lzw';
    case COMPRESSION.deflate: case COMPRESSION.adobeDeflate: return 'deflate';
    default: return `unknown(${code})`;
  }
}

function decodePage(p: TiffPageRaw): { bitmap: Bitmap; badRows: number; consecutiveBadRows: number } {
  const { width, height } = p;
  const bitmap = createBitmap(width, height);
  const stride = bitmap.stride;
  let badRows = 0;
  let consecutiveBadRows = 0;
  p.strips.forEach((strip, s) => {
    const y0 = s * p.rowsPerStrip;
    const rows = Math.min(p.rowsPerStrip, height - y0);
    if (rows <= 0) return;
    let raster: Uint8Array;
    const code = p.compressionCode;
    if (code === COMPRESSION.none || code === COMPRESSION.packbits || code === COMPRESSION.lzw ||
      code === COMPRESSION.deflate || code === COMPRESSION.adobeDeflate) {
      const size = rows * stride;
      if (code === COMPRESSION.none) raster = strip.subarray(0, size);
      else if (code === COMPRESSION.packbits) raster = unpackBits(strip, size);
      else if (code === COMPRESSION.lzw) raster = unLzw(strip, size);
      else raster = new Uint8Array(inflateSync(strip)).subarray(0, size);
      if (p.fillOrder === 2) raster = raster.map((b) => REVERSED_BITS[b]);
    } else if (code === COMPRESSION.t4 || code === COMPRESSION.t6 || code === COMPRESSION.ccittrle) {
      const compression: FaxCompression = code === COMPRESSION.t6 ? 'mmr' : p.t4Options & T4_2D ? 'mr' : 'mh';
      const r = decodeFax(strip, {
        compression, width, height: rows, bitOrder: p.fillOrder === 2 ? 'lsb-first' : 'msb-first',
        alignedRows: code === COMPRESSION.ccittrle,
      });
      raster = r.bitmap.data;
      badRows += r.badRows;
      consecutiveBadRows = Math.max(consecutiveBadRows, r.consecutiveBadRows);
    } else {
      throw new Error(`TIFF compression ${code} is not a bilevel fax compression`);
    }
    bitmap.data.set(raster.subarray(0, Math.min(raster.length, rows * stride)), y0 * stride);
  });
  // TIFF 6.0 §3: with WhiteIsZero (0) a 1 sample is black, as in our bitmaps; BlackIsZero is inverted.
  if (p.photometric === 1) {
    for (let i = 0; i < bitmap.data.length; i++) bitmap.data[i] ^= 0xff;
  }
  return { bitmap, badRows, consecutiveBadRows };
}

/** Reads every page (IFD) of a bilevel TIFF. Throws on files that are not TIFF or not bilevel. */
export function readTiff(data: Uint8Array): TiffPageRaw[] {
  if (data.length < 8) throw new Error('not a TIFF file: too short');
  const order = String.fromCharCode(data[0], data[1]);
  if (order !== 'II' && order !== 'MM') throw new Error('not a TIFF file: bad byte order mark');
  const le = order === 'II';
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint16(2, le) !== 42) throw new Error('not a classic TIFF file (BigTIFF is not supported)');
  const pages: TiffPageRaw[] = [];
  const seen = new Set<number>();
  let off = dv.getUint32(4, le);
  while (off !== 0) {
    if (seen.has(off)) throw new Error('TIFF IFD chain loops');
    seen.add(off);
    const { tags, next } = parseIfd(data, dv, le, off);
    off = next;
    const one = (tag: number, dflt?: number): number => {
      const v = tags.get(tag);
      if (v && v.length > 0) return v[0];
      if (dflt === undefined) throw new Error(`TIFF page ${pages.length} lacks tag ${tag}`);
      return dflt;
    };
    const width = one(TAG.ImageWidth);
    const height = one(TAG.ImageLength);
    checkFaxPageSize(width, height, pages.length);
    const bps = one(TAG.BitsPerSample, 1);
    const spp = one(TAG.SamplesPerPixel, 1);
    if (bps !== 1 || spp !== 1) throw new Error(`TIFF page ${pages.length} is not bilevel (${spp} × ${bps} bits)`);
    const compressionCode = one(TAG.Compression, 1);
    // TIFF 6.0 §14: a predictor only makes sense for multi-bit samples; refuse rather than misread.
    if (one(TAG.Predictor, 1) !== 1) throw new Error(`TIFF page ${pages.length} uses a predictor on bilevel data`);
    const t4Options = one(TAG.T4Options, 0);
    const offsets = tags.get(TAG.StripOffsets) ?? [];
    const counts = tags.get(TAG.StripByteCounts) ?? [];
    if (offsets.length === 0) throw new Error(`TIFF page ${pages.length} has no strips`);
    const strips = offsets.map((o, i) => {
      const end = counts[i] !== undefined ? Math.min(data.length, o + counts[i]) : data.length;
      return data.subarray(Math.min(o, data.length), end);
    });
    // TIFF 6.0 §8: ResolutionUnit 3 = centimetre; Class F files sometimes use 77 × 38.5 per cm.
    const unit = one(TAG.ResolutionUnit, 2);
    const toDpi = (v: number) => (unit === 3 ? Math.round(v * 2.54 * 100) / 100 : v);
    const fillOrder = one(TAG.FillOrder, 1) === 2 ? 2 : 1;
    const page: TiffPageRaw = {
      width,
      height,
      xDpi: toDpi(one(TAG.XResolution, 204)),
      yDpi: toDpi(one(TAG.YResolution, 196)),
      compression: compressionName(compressionCode, t4Options),
      fillOrder,
      compressionCode,
      t4Options,
      photometric: one(TAG.Photometric, 0),
      rowsPerStrip: Math.min(one(TAG.RowsPerStrip, height) || height, height) || 1,
      strips,
      decode: () => decodePage(page).bitmap,
      decodeWithStats: () => decodePage(page),
    };
    if (tags.has(TAG.BadFaxLines)) page.badFaxLines = one(TAG.BadFaxLines);
    if (tags.has(TAG.ConsecutiveBadFaxLines)) page.consecutiveBadFaxLines = one(TAG.ConsecutiveBadFaxLines);
    pages.push(page);
  }
  return pages;
}
