import sharp from 'sharp';
import type { FaxPage } from '@faxgate/fax-image';

/**
 * A fax page as a PNG to look at: black on white, stretched vertically by xDpi/yDpi so a
 * standard-resolution page keeps its shape on screen.
 */
export async function pageToPng(page: FaxPage): Promise<Buffer> {
  const { bitmap } = page;
  const gray = Buffer.alloc(bitmap.width * bitmap.height, 255);
  for (let y = 0; y < bitmap.height; y++) {
    const row = y * bitmap.stride;
    for (let x = 0; x < bitmap.width; x++) if ((bitmap.data[row + (x >> 3)] >> (7 - (x & 7))) & 1) gray[y * bitmap.width + x] = 0;
  }
  const height = Math.max(1, Math.round((bitmap.height * page.xDpi) / page.yDpi));
  let img = sharp(gray, { raw: { width: bitmap.width, height: bitmap.height, channels: 1 } });
  if (height !== bitmap.height) img = img.resize(bitmap.width, height, { fit: 'fill', kernel: 'nearest' });
  return img.withMetadata({ density: page.xDpi }).png({ compressionLevel: 9, palette: true, colours: 2 }).toBuffer();
}
