// Deterministic rasters for tests and the benchmark: the adversarial cases from issue 3 and
// page-like content. They are made here, not with fax-image's bitmap helpers, because
// fax-image's own tests use them and the testkit must not depend on the library it judges.
import type { Raster } from './raster-judge.ts';

type Bitmap = Raster;

/** A white raster (all 0; 1 = black, most significant bit first). */
function createBitmap(width: number, height: number): Bitmap {
  const stride = (width + 7) >> 3;
  return { width, height, stride, data: new Uint8Array(stride * height) };
}

function setPixel(b: Bitmap, x: number, y: number, v: 0 | 1): void {
  const i = y * b.stride + (x >> 3);
  const bit = 0x80 >> (x & 7);
  b.data[i] = v ? b.data[i] | bit : b.data[i] & ~bit;
}

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fillRect(b: Bitmap, x0: number, y0: number, w: number, h: number): void {
  for (let y = Math.max(0, y0); y < Math.min(b.height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(b.width, x0 + w); x++) setPixel(b, x, y, 1);
  }
}

/** Named adversarial rasters of the given width. */
export function adversarialRasters(width: number, height = 12): Record<string, Bitmap> {
  const out: Record<string, Bitmap> = {};
  out.white = createBitmap(width, height);
  const black = createBitmap(width, height);
  black.data.fill(0xff);
  out.black = black;
  const alt = createBitmap(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x + y) & 1) setPixel(alt, x, y, 1);
  out.checker = alt;
  const cols = createBitmap(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x += 2) setPixel(cols, x, y, 1);
  out.columns = cols;
  const edges = createBitmap(width, height);
  for (let y = 0; y < height; y++) {
    if (y % 3 !== 1) setPixel(edges, 0, y, 1);
    if (y % 3 !== 2) setPixel(edges, width - 1, y, 1);
  }
  out.edges = edges;
  const stripes = createBitmap(width, height);
  for (let y = 0; y < height; y += 2) fillRect(stripes, 0, y, width, 1);
  out.stripes = stripes;
  const diagonal = createBitmap(width, height);
  for (let y = 0; y < height; y++) for (let x = y % 7; x < width; x += 7) setPixel(diagonal, x, y, 1);
  out.diagonal = diagonal;
  const shifting = createBitmap(width, height);
  for (let y = 0; y < height; y++) fillRect(shifting, (y * 5) % Math.max(1, width), y, 4 + y, 1);
  out.shifting = shifting;
  return out;
}

/** A page of text-like glyph boxes, rules and a frame, like a typed letter. */
export function textPage(width: number, height: number, seed: number): Bitmap {
  const b = createBitmap(width, height);
  const rnd = prng(seed);
  const margin = Math.floor(width / 12);
  fillRect(b, margin, margin, width - 2 * margin, 3);
  for (let line = margin + 40; line + 30 < height - margin; line += 34) {
    let x = margin;
    const end = width - margin - rnd() * width * 0.3;
    while (x < end) {
      const word = 2 + Math.floor(rnd() * 8);
      for (let c = 0; c < word && x < end; c++) {
        const gw = 10 + Math.floor(rnd() * 8);
        const asc = rnd() < 0.3 ? 8 : 0;
        // Glyph: vertical stems and a bowl, so rows differ slightly from each other as in text.
        fillRect(b, x, line - asc, 2 + (c & 1), 20 + asc);
        fillRect(b, x + 2, line + 6, gw - 6, 2);
        fillRect(b, x + gw - 5, line + 6, 2, 14);
        if (rnd() < 0.5) fillRect(b, x + 2, line + 18, gw - 6, 2);
        x += gw + 2;
      }
      x += 12;
    }
  }
  return b;
}

/** A smooth grey "photo" dithered with an 8 × 8 ordered (Bayer) matrix: the hardest case for fax codes. */
export function ditheredPhoto(width: number, height: number): Bitmap {
  const bayer = [0, 32, 8, 40, 2, 34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26, 12, 44, 4, 36, 14, 46, 6, 38,
    60, 28, 52, 20, 62, 30, 54, 22, 3, 35, 11, 43, 1, 33, 9, 41, 51, 19, 59, 27, 49, 17, 57, 25, 15, 47, 7, 39,
    13, 45, 5, 37, 63, 31, 55, 23, 61, 29, 53, 21];
  const b = createBitmap(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const g = 0.5 + 0.25 * Math.sin(u * 9 + Math.cos(v * 7) * 2) + 0.2 * Math.cos(v * 13 - u * 5) * Math.sin(u * 3);
      const level = Math.max(0, Math.min(1, g)) * 64;
      if (level < bayer[(y & 7) * 8 + (x & 7)] + 0.5) setPixel(b, x, y, 1);
    }
  }
  return b;
}

/** Random pixels with the given black probability. */
export function noise(width: number, height: number, seed: number, p = 0.5): Bitmap {
  const b = createBitmap(width, height);
  const rnd = prng(seed);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (rnd() < p) setPixel(b, x, y, 1);
  return b;
}
