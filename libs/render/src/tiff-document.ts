import { createBitmap, readTiff, type FaxPage } from '@faxgate/fax-image';
import { FAX_WIDTH_PX, FAX_X_DPI } from './page-geometry.ts';
import { toBilevel } from './bilevel.ts';

/**
 * Bilevel TIFF pages (an existing fax, a scan): 1728-pel pages pass through untouched at
 * their own resolution, no re-dither; other widths are resampled to 1728 pels by area
 * averaging and thresholded. Returns null when the TIFF is not bilevel (colour or grey scans
 * go through the image path).
 */
export function renderBilevelTiff(data: Uint8Array, maxPages: number, maxPixels: number): FaxPage[] | null {
  let pages;
  try {
    pages = readTiff(data);
  } catch {
    return null;
  }
  if (pages.length > maxPages) throw new Error(`it has ${pages.length} pages, more than the limit of ${maxPages}`);
  for (const p of pages) {
    if (p.width * p.height > maxPixels) throw new Error(`a page is ${p.width} × ${p.height} pixels, more than the limit of ${(maxPixels / 1e6).toFixed(0)} megapixels`);
  }
  return pages.map((p) => {
    const bitmap = p.decode();
    const xDpi = p.xDpi > 0 ? p.xDpi : FAX_X_DPI;
    const yDpi = p.yDpi > 0 ? p.yDpi : xDpi;
    if (bitmap.width === FAX_WIDTH_PX) return { bitmap, xDpi, yDpi };
    // Same pel factor both ways: the page keeps its shape at 204 dpi across and yDpi·204/xDpi down.
    const f = FAX_WIDTH_PX / bitmap.width;
    const rows = Math.max(1, Math.round(bitmap.height * f));
    const gray = new Uint8Array(FAX_WIDTH_PX * rows);
    const srcStride = bitmap.stride;
    for (let y = 0; y < rows; y++) {
      const sy0 = Math.floor(y / f);
      const sy1 = Math.max(sy0 + 1, Math.min(bitmap.height, Math.floor((y + 1) / f)));
      for (let x = 0; x < FAX_WIDTH_PX; x++) {
        const sx0 = Math.floor(x / f);
        const sx1 = Math.max(sx0 + 1, Math.min(bitmap.width, Math.floor((x + 1) / f)));
        let black = 0;
        for (let sy = sy0; sy < sy1; sy++) {
          for (let sx = sx0; sx < sx1; sx++) black += (bitmap.data[sy * srcStride + (sx >> 3)] >> (7 - (sx & 7))) & 1;
        }
        gray[y * FAX_WIDTH_PX + x] = 255 - Math.round((255 * black) / ((sy1 - sy0) * (sx1 - sx0)));
      }
    }
    const out = rows > 0 ? toBilevel({ width: FAX_WIDTH_PX, height: rows, stride: FAX_WIDTH_PX, pixels: gray }) : createBitmap(FAX_WIDTH_PX, 0);
    return { bitmap: out, xDpi: FAX_X_DPI, yDpi: Math.round((yDpi * FAX_X_DPI) / xDpi) };
  });
}
