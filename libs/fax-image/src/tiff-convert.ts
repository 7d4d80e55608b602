// Whole-file conversion for `faxgate tiff convert` and the services.
import {
  changeVerticalResolution, changeWidth, FAX_WIDTHS, FAX_X_DPI, resolutionName, transcodeFax, VERTICAL_DPI, type FaxWidth, type VerticalResolution,
} from './convert.ts';
import { defaultK, faxPageToRaw } from './tiff-fax.ts';
import type { FaxCompression } from './t4-encode.ts';
import { readTiff } from './tiff-read.ts';
import { COMPRESSION, T4_2D, T4_FILL } from './tiff-tags.ts';
import { writeTiffRaw, type RawTiffPage } from './tiff-write.ts';

export interface ConvertOptions {
  /** Default: 'mmr'. */
  compression?: FaxCompression;
  /** Default: keep each page's. */
  resolution?: VerticalResolution;
  /** Target scan-line width; default: keep. */
  width?: FaxWidth | number;
  /** How to reach the width; default 'scale'. */
  widthMode?: 'centre' | 'scale';
}

/**
 * Converts every page of a TIFF into Class F with the requested coding, resolution and width.
 * Pages whose geometry stays the same are transcoded run by run, without a bitmap.
 */
export function convertTiff(data: Uint8Array, opts: ConvertOptions = {}): Uint8Array {
  const compression = opts.compression ?? 'mmr';
  const targetWidth = typeof opts.width === 'string' ? FAX_WIDTHS[opts.width] : opts.width;
  const out: RawTiffPage[] = readTiff(data).map((p) => {
    const yDpi = opts.resolution ? VERTICAL_DPI[opts.resolution] : p.yDpi;
    const sameGeometry = (!opts.resolution || resolutionName(p.yDpi) === opts.resolution) &&
      (targetWidth === undefined || targetWidth === p.width);
    const ccitt = p.compressionCode === COMPRESSION.t4 || p.compressionCode === COMPRESSION.t6;
    if (sameGeometry && ccitt && p.strips.length === 1 && p.photometric === 0) {
      const { data: coded, stats } = transcodeFax(p.strips[0], {
        compression: p.compressionCode === COMPRESSION.t6 ? 'mmr' : p.t4Options & T4_2D ? 'mr' : 'mh',
        width: p.width, height: p.height, bitOrder: p.fillOrder === 2 ? 'lsb-first' : 'msb-first',
      }, { compression, k: defaultK(p.yDpi), alignEol: true, rtc: false, eofb: true });
      const bad = (p.badFaxLines ?? 0) + stats.badRows;
      return {
        width: p.width, height: p.height, xDpi: p.xDpi, yDpi: p.yDpi,
        compression: compression === 'mmr' ? COMPRESSION.t6 : COMPRESSION.t4,
        t4Options: compression === 'mr' ? T4_2D | T4_FILL : T4_FILL, fillOrder: 1, rowsPerStrip: p.height,
        strips: [coded], badFaxLines: bad || p.badFaxLines,
        consecutiveBadFaxLines: stats.badRows ? Math.max(stats.consecutiveBadRows, p.consecutiveBadFaxLines ?? 0) : p.consecutiveBadFaxLines,
      };
    }
    let bitmap = p.decode();
    let xDpi = p.xDpi;
    if (targetWidth !== undefined && (opts.widthMode ?? 'scale') === 'scale') {
      // The page's physical width fills the fax line (8 pels/mm); its height shrinks or grows by
      // the same physical factor, at the target vertical resolution: one resampling, any input dpi.
      const k = (targetWidth / FAX_X_DPI) / (p.width / p.xDpi);
      const rows = Math.max(1, Math.round((p.height / p.yDpi) * k * yDpi));
      bitmap = changeWidth(bitmap, targetWidth, 'scale', rows);
      xDpi = FAX_X_DPI;
    } else {
      if (opts.resolution) bitmap = changeVerticalResolution(bitmap, p.yDpi, yDpi);
      if (targetWidth !== undefined) bitmap = changeWidth(bitmap, targetWidth, 'centre');
    }
    return faxPageToRaw({ bitmap, xDpi, yDpi, badFaxLines: p.badFaxLines, consecutiveBadFaxLines: p.consecutiveBadFaxLines }, compression);
  });
  return writeTiffRaw(out);
}
