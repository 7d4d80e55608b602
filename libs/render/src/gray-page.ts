/** An 8-bit grey raster (0 = black, 255 = white), one byte per pixel, rows `stride` bytes apart. */
export interface GrayPage {
  width: number;
  height: number;
  stride: number;
  pixels: Uint8Array;
}
