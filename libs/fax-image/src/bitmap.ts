/** Packed bilevel raster: 1 bit per pixel, MSB first in each byte, 1 = black, rows padded to whole bytes. */
export interface Bitmap {
  width: number;
  height: number;
  /** Bytes per row: ceil(width / 8). */
  stride: number;
  data: Uint8Array;
}

/** A white (all 0) bitmap of the given size. */
export function createBitmap(width: number, height: number): Bitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`bad bitmap size ${width}x${height}`);
  }
  const stride = (width + 7) >> 3;
  return { width, height, stride, data: new Uint8Array(stride * height) };
}

/** The pixel at (x, y): 1 = black, 0 = white. */
export function getPixel(b: Bitmap, x: number, y: number): 0 | 1 {
  return ((b.data[y * b.stride + (x >> 3)] >> (7 - (x & 7))) & 1) as 0 | 1;
}

/** Sets the pixel at (x, y) to v (1 = black). */
export function setPixel(b: Bitmap, x: number, y: number, v: 0 | 1): void {
  const i = y * b.stride + (x >> 3);
  const m = 0x80 >> (x & 7);
  if (v) b.data[i] |= m;
  else b.data[i] &= ~m;
}

/**
 * Thresholds an 8-bit grey image (0 = black .. 255 = white, one byte per pixel, no row padding):
 * a pixel darker than `threshold` becomes black.
 */
export function bitmapFromGray(gray: Uint8Array, width: number, height: number, threshold = 128): Bitmap {
  if (gray.length < width * height) throw new RangeError(`grey buffer holds ${gray.length} bytes, need ${width * height}`);
  const b = createBitmap(width, height);
  const d = b.data;
  for (let y = 0; y < height; y++) {
    const src = y * width;
    const dst = y * b.stride;
    for (let x = 0; x < width; x++) {
      if (gray[src + x] < threshold) d[dst + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return b;
}

/** True when both bitmaps have the same size and the same pixels (padding bits ignored). */
export function bitmapsEqual(a: Bitmap, b: Bitmap): boolean {
  return firstDifference(a, b) === null;
}

/** The first differing pixel as {x, y}, or null when equal; size mismatch reports {x: -1, y: -1}. */
export function firstDifference(a: Bitmap, b: Bitmap): { x: number; y: number } | null {
  if (a.width !== b.width || a.height !== b.height) return { x: -1, y: -1 };
  const full = a.width >> 3;
  const tail = a.width & 7;
  const tailMask = (0xff00 >> tail) & 0xff;
  for (let y = 0; y < a.height; y++) {
    const oa = y * a.stride;
    const ob = y * b.stride;
    for (let i = 0; i < full; i++) {
      const x = a.data[oa + i] ^ b.data[ob + i];
      if (x) return { x: i * 8 + Math.clz32(x) - 24, y };
    }
    if (tail) {
      const x = (a.data[oa + full] ^ b.data[ob + full]) & tailMask;
      if (x) return { x: full * 8 + Math.clz32(x) - 24, y };
    }
  }
  return null;
}
