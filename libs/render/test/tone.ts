// Tone reproduction of a bilevel page against its grey source, as the eye sees it from reading
// distance: both low-pass filtered (averaged over 8 × 8 pel tiles, the halftone's cell and about
// 1 mm at fax resolution), then the mean absolute difference in grey levels (0–255).
import { getPixel, type Bitmap } from '@faxgate/fax-image';
import type { GrayPage } from '../src/index.ts';

const TILE = 8;
/** The classifier's block (bilevel.ts BLOCK). */
const BLOCK = 32;

/**
 * Mean absolute tone error over the whole 8 × 8 tiles of the page; with `photo` (the
 * classifier's blocks), over the tiles inside photo blocks only, where the dither works.
 */
export function toneError(g: GrayPage, b: Bitmap, photo?: Uint8Array): number {
  const cols = Math.ceil(g.width / BLOCK);
  let sum = 0;
  let tiles = 0;
  for (let ty = 0; ty + TILE <= g.height; ty += TILE) {
    for (let tx = 0; tx + TILE <= g.width; tx += TILE) {
      if (photo && !photo[((ty / BLOCK) | 0) * cols + ((tx / BLOCK) | 0)]) continue;
      let grey = 0;
      let black = 0;
      for (let y = ty; y < ty + TILE; y++) {
        for (let x = tx; x < tx + TILE; x++) {
          grey += g.pixels[y * g.stride + x];
          black += getPixel(b, x, y);
        }
      }
      sum += Math.abs(grey / (TILE * TILE) - 255 * (1 - black / (TILE * TILE)));
      tiles++;
    }
  }
  if (tiles === 0) throw new Error('no tile to compare');
  return sum / tiles;
}
