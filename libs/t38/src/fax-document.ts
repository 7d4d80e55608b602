// The codec seam: TIFF pages become the engine's SendDocument, and received page data
// becomes TIFF again, through @faxgate/fax-image.
import {
  changeVerticalResolution, changeWidth, decodeFax, defaultK, encodeFax, readTiff, writeTiff, type Bitmap, type FaxPage,
} from '@faxgate/fax-image';
import type { PageRequest, PageVerdict, Resolution, SendDocument, SessionParams } from '@faxgate/t30';

/** T.4 §2.2: lines per inch for each vertical resolution. */
const Y_DPI: Record<Resolution, number> = { standard: 98, fine: 196, superfine: 391 };
/** T.4 §2.2: 1728 pels on the 215 mm A4 line. */
export const A4_WIDTH = 1728;

/** T.4 §2.3: the vertical resolution a TIFF's YResolution stands for. */
export function resolutionOfDpi(yDpi: number): Resolution {
  return yDpi > 300 ? 'superfine' : yDpi > 150 ? 'fine' : 'standard';
}

/**
 * Fits a page to what the receiver takes (T.30 §5.3.6.2.1): wider pages are scaled down to
 * the A4 line, narrower ones centred on it, and a finer page is reduced to the negotiated
 * vertical resolution.
 */
export function fitBitmap(src: Bitmap, fromYDpi: number, toYDpi: number): Bitmap {
  const vertical = changeVerticalResolution(src, fromYDpi, toYDpi);
  return changeWidth(vertical, A4_WIDTH, vertical.width > A4_WIDTH ? 'scale' : 'centre');
}

/**
 * Reads a TIFF file's pages as a document the sending engine can code at any setting.
 * `documentEnds`: the pages (from 0) that end a document another follows in the same call.
 */
export function tiffDocument(tiff: Uint8Array, documentEnds?: readonly number[]): SendDocument & { bitmaps: () => Bitmap[] } {
  const pages = readTiff(tiff);
  if (pages.length === 0) throw new Error('the TIFF has no pages');
  const resolution = resolutionOfDpi(pages[0].yDpi);
  const cache = new Map<number, Bitmap>();
  const bitmapOf = (i: number): Bitmap => {
    let b = cache.get(i);
    if (!b) {
      b = pages[i].decode();
      cache.set(i, b);
    }
    return b;
  };
  return {
    pageCount: pages.length,
    resolution,
    ...(documentEnds?.length ? { documentEnds } : {}),
    encodePage(req: PageRequest): Uint8Array {
      const pageDpi = Y_DPI[resolutionOfDpi(pages[req.index].yDpi)];
      const bitmap = fitBitmap(bitmapOf(req.index), pageDpi, Y_DPI[req.resolution]);
      return encodeFax(bitmap, {
        compression: req.encoding,
        k: defaultK(Y_DPI[req.resolution]),
        minRowBits: req.minRowBits,
        rtc: true,
        eofb: true,
        bitOrder: 'msb-first',
      });
    },
    bitmaps: () => pages.map((_, i) => bitmapOf(i)),
  };
}

/** Decodes received page data tolerantly, as the receiver's quality check. */
export function decodeReceivedPage(data: Uint8Array, params: SessionParams): { bitmap: Bitmap } & PageVerdict {
  const r = decodeFax(data, { compression: params.encoding, width: A4_WIDTH, leadingEol: true });
  return { bitmap: r.bitmap, rows: r.rows, badRows: r.badRows, lostRows: r.lostRows };
}

/** Builds the received document as TIFF Class F (MMR). */
export function receivedTiff(pages: Array<{ data: Uint8Array; params: SessionParams }>): Uint8Array {
  const faxPages: FaxPage[] = pages.map(({ data, params }) => {
    const d = decodeReceivedPage(data, params);
    return { bitmap: d.bitmap, xDpi: 204, yDpi: Y_DPI[params.resolution], badFaxLines: d.badRows };
  });
  return writeTiff(faxPages, { compression: 'mmr' });
}
