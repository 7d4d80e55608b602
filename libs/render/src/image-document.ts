import type Sharp from 'sharp';
import { FAX_WIDTH_PX, FAX_X_DPI } from './page-geometry.ts';
import type { GrayPage } from './gray-page.ts';

export interface ImageOptions {
  yDpi: number;
  /** Paper height in points: an image is one page, scaled to fit it. */
  pageHeightPt: number;
  /** Larger images fail before they are decoded (decompression bombs, 50 000 × 50 000 PNGs). */
  maxPixels: number;
  /** An image taller than the page: shrunk onto it, or kept at the page width and cut into pages. */
  longPages?: 'scale' | 'split';
  /** A multi-page TIFF with more pages fails. */
  maxPages?: number;
}

/** Image formats sharp (libvips) decodes; BMP and the rest go to MuPDF. */
export const SHARP_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'image/tiff']);

let sharpModule: Promise<typeof Sharp> | undefined;

/**
 * sharp (libvips, about 80 modules and 70 ms of CPU to load) is loaded with the first image: a
 * sandbox process that is sent PDFs never needs it, and `faxgate render` waits for that process
 * before its first page (issue 18).
 */
function loadSharp(): Promise<typeof Sharp> {
  return (sharpModule ??= import('sharp').then((m) => m.default));
}

/** Headroom at the top and bottom of an image page (points), where a fax header line may go. */
const MARGIN_PT = 18;

/**
 * A photo, scan or screenshot as one fax page: EXIF orientation applied, transparency on white,
 * landscape turned to portrait when it would otherwise be shrunk, then scaled to the printable
 * area with the aspect ratio kept (fax pels are not square at standard resolution), never
 * enlarged more than twice, placed at the top of a paper-high page. In split mode an image
 * taller than the page keeps the page width and continues on the next pages.
 */
export async function renderImage(data: Uint8Array, opts: ImageOptions): Promise<GrayPage[]> {
  const sharp = await loadSharp();
  // A multi-page TIFF (a scanned document) is every page; an animated GIF or WebP is its first frame.
  const first = await sharp(data, { limitInputPixels: false }).metadata();
  const count = first.format === 'tiff' ? (first.pages ?? 1) : 1;
  if (count > (opts.maxPages ?? Infinity)) throw new Error(`it has ${count} pages, more than the limit of ${opts.maxPages}`);
  const pages: GrayPage[] = [];
  for (let page = 0; page < count; page++) pages.push(...(await renderImagePage(data, page, opts)));
  return pages;
}

async function renderImagePage(data: Uint8Array, page: number, opts: ImageOptions): Promise<GrayPage[]> {
  const sharp = await loadSharp();
  const meta = await sharp(data, { limitInputPixels: false, page }).metadata();
  const w0 = meta.width ?? 0;
  const h0 = meta.height ?? 0;
  if (!(w0 > 0 && h0 > 0)) throw new Error('the image has no size');
  if (w0 * h0 > opts.maxPixels) {
    throw new Error(`the image is ${w0} × ${h0} pixels, more than the limit of ${(opts.maxPixels / 1e6).toFixed(0)} megapixels`);
  }
  // EXIF orientations 5–8 swap width and height.
  const turned = (meta.orientation ?? 1) >= 5;
  let w = turned ? h0 : w0;
  let h = turned ? w0 : h0;
  const pageRows = Math.round(((opts.pageHeightPt - 2 * MARGIN_PT) / 72) * opts.yDpi);
  const yScale = opts.yDpi / FAX_X_DPI;
  const landscape = w > h * 1.05 && w > FAX_WIDTH_PX;
  if (landscape) [w, h] = [h, w];
  const widthFit = Math.min(FAX_WIDTH_PX / w, 2);
  // A long screenshot or receipt in split mode keeps the page width and runs over several pages.
  const split = opts.longPages === 'split' && h * widthFit * yScale > pageRows * 1.06;
  const s = split ? widthFit : Math.min(widthFit, pageRows / (h * yScale));
  const tw = Math.max(1, Math.round(w * s));
  const th = Math.max(1, Math.round(h * s * yScale));
  let img = sharp(data, { limitInputPixels: opts.maxPixels, failOn: 'error', page }).rotate();
  if (landscape) img = sharp(await img.toBuffer(), { limitInputPixels: opts.maxPixels }).rotate(90);
  const { data: raw, info } = await img
    .flatten({ background: '#ffffff' })
    .resize(tw, th, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`unexpected ${info.channels} channels from the image decoder`);
  const top = Math.round((MARGIN_PT / 72) * opts.yDpi);
  const dx = Math.floor((FAX_WIDTH_PX - info.width) / 2);
  const pageHeight = pageRows + 2 * top;
  // Image rows per page: the first and last pages keep the top margin free for the header line.
  const perPage = split ? pageRows + top : info.height;
  const pages: GrayPage[] = [];
  for (let first = 0; first < info.height; first += perPage) {
    const rows = Math.min(perPage, info.height - first);
    const height = split ? pageHeight : Math.max(pageHeight, rows + top);
    const out = new Uint8Array(FAX_WIDTH_PX * height).fill(255);
    for (let y = 0; y < rows; y++) out.set(raw.subarray((first + y) * info.width, (first + y + 1) * info.width), (top + y) * FAX_WIDTH_PX + dx);
    pages.push({ width: FAX_WIDTH_PX, height, stride: FAX_WIDTH_PX, pixels: out });
  }
  return pages;
}
