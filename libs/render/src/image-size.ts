import sharp from 'sharp';

/**
 * Pixels of an image as its header declares them (width × height), read without decoding it;
 * undefined when the header cannot be read. BMP (which libvips does not read) from its
 * BITMAPINFOHEADER (biWidth at offset 18, biHeight at 22, signed: negative means top-down).
 */
export async function imagePixels(data: Uint8Array, contentType: string): Promise<number | undefined> {
  if (contentType === 'image/bmp' || (data[0] === 0x42 && data[1] === 0x4d)) {
    if (data.length < 26) return undefined;
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return Math.abs(dv.getInt32(18, true)) * Math.abs(dv.getInt32(22, true));
  }
  try {
    const meta = await sharp(data, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return undefined;
    return meta.width * meta.height;
  } catch {
    return undefined;
  }
}
