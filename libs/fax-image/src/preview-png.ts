import { crc32, deflateSync } from 'node:zlib';
import type { Bitmap } from './bitmap.ts';

/** Preview resolution: about screen density, so a fine page shows at a readable width. */
export const PREVIEW_DPI = 100;

/**
 * A fax page as a PNG to look at (a received fax's inline preview, the API's thumbnails): the
 * bilevel page is reduced by whole factors to about `dpi` (100 by default) in each direction
 * (which also squares the pixels of a standard-resolution page), averaging each block into
 * 8-bit grey so thin strokes stay visible.
 */
export function previewPng(page: Bitmap, xDpi: number, yDpi: number, dpi = PREVIEW_DPI): { png: Buffer; width: number; height: number } {
  const fx = Math.max(1, Math.round(xDpi / dpi));
  const fy = Math.max(1, Math.round(yDpi / dpi));
  const width = Math.ceil(page.width / fx);
  const height = Math.ceil(page.height / fy);
  const rowBytes = width + 1;
  const raw = Buffer.alloc(rowBytes * height);
  for (let oy = 0; oy < height; oy++) {
    raw[oy * rowBytes] = 0; // PNG filter type 0 (None) for every row
    for (let ox = 0; ox < width; ox++) {
      let black = 0;
      let count = 0;
      for (let y = oy * fy; y < Math.min((oy + 1) * fy, page.height); y++) {
        const row = y * page.stride;
        for (let x = ox * fx; x < Math.min((ox + 1) * fx, page.width); x++) {
          black += (page.data[row + (x >> 3)] >> (7 - (x & 7))) & 1;
          count++;
        }
      }
      raw[oy * rowBytes + 1 + ox] = 255 - Math.round((255 * black) / count);
    }
  }
  // PNG (ISO/IEC 15948) §11.2.2: IHDR with bit depth 8, colour type 0 (greyscale), no interlace.
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return { png, width, height };
}

/** PNG §5.3: length, type, data, and a CRC over type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
