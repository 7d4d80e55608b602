import { existsSync, readFileSync } from 'node:fs';
import * as mupdf from 'mupdf';
import { FAX_WIDTH_PT, FAX_WIDTH_PX, FAX_X_DPI } from './page-geometry.ts';
import { installFonts } from './fonts.ts';
import type { GrayPage } from './gray-page.ts';

/** How a document is put on fax pages. */
export interface EngineOptions {
  /** Paper the HTML is laid out on and long pages are measured against, in points. */
  pageHeightPt?: number;
  /** Pages taller than the paper: scaled down to fit it, or cut into paper-high pieces. */
  longPages?: 'scale' | 'split';
  /** A document with more pages fails instead of filling the fax. */
  maxPages?: number;
}

/**
 * The rendering engine behind a small interface: documents in, grey pages at fax resolution out
 * (1728 pels wide at 204 dpi, `yDpi` lines per inch), every page scaled to fit, never cropped.
 */
export interface RenderEngine {
  /**
   * Without `convert`, the grey pages are returned; with it, each page is handed to `convert`
   * while its pixels are still in the engine's memory (valid only during the call), which
   * saves copying a 4 MB raster per page, and the results are returned.
   */
  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions): GrayPage[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts: EngineOptions | undefined, convert: (page: GrayPage) => T): T[];
  /**
   * One line of text fields on a white band of fax width (a page header line): the first field
   * flush left, the last flush right, the others spread between. `sizePt` is the type size.
   */
  renderTextLine(fields: string[], sizePt: number, yDpi: number): GrayPage;
}

/** Documents more than this much taller than the paper count as long (legal, receipts, web pages). */
const LONG_SLACK = 1.06;

/** MuPDF (WebAssembly): PDF, XPS, EPUB, SVG, CBZ and images rasterised; HTML laid out. */
export class MuPdfEngine implements RenderEngine {
  constructor() {
    installFonts();
    drawWithoutAntiAliasing();
  }

  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions): GrayPage[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts: EngineOptions | undefined, convert: (page: GrayPage) => T): T[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts: EngineOptions = {}, convert?: (page: GrayPage) => T): Array<T | GrayPage> {
    const take: (g: GrayPage) => T | GrayPage = convert ?? copyOut;
    const doc = mupdf.Document.openDocument(data, mimeType);
    try {
      // Encrypted PDFs that open with the empty user password (print/copy restrictions only).
      if (doc.needsPassword() && !doc.authenticatePassword('')) {
        throw new Error('the document is protected by a password');
      }
      const heightPt = opts.pageHeightPt ?? 792;
      const flowing = mimeType === 'text/html' || mimeType === 'application/xhtml+xml';
      if (flowing) layoutToFit(doc, heightPt);
      const n = doc.countPages();
      if (opts.maxPages !== undefined && n > opts.maxPages) {
        throw new Error(`it has ${n} pages, more than the limit of ${opts.maxPages}`);
      }
      const pages: Array<T | GrayPage> = [];
      for (let i = 0; i < n; i++) {
        const page = doc.loadPage(i);
        try {
          pages.push(...renderPage(page, yDpi, heightPt, opts.longPages ?? 'scale', !flowing, take));
        } finally {
          page.destroy();
        }
        if (opts.maxPages !== undefined && pages.length > opts.maxPages) {
          throw new Error(`it makes more than ${opts.maxPages} fax pages`);
        }
      }
      return pages;
    } finally {
      doc.destroy();
    }
  }

  renderTextLine(fields: string[], sizePt: number, yDpi: number): GrayPage {
    return drawTextLine(fields, sizePt, yDpi);
  }
}

let aliasingChecked = false;

/**
 * Fax pages are bilevel, so MuPDF draws without anti-aliasing (its level 0: a pel is inked when
 * its centre is covered, glyphs come from FreeType's hinted mono rasteriser), as Ghostscript's
 * tiffg4 does. Anti-aliased edges were thrown away by the threshold anyway, cost the 17 × 15
 * subsamples of MuPDF's default level (a vector page drew in half the time without them, issue
 * 18) and were mid-tones the bilevel pass had to tell from photos. MuPDF still draws strokes
 * thinner than a pel one pel wide, so 0.25 pt rules stay (test/hairlines.test.ts).
 *
 * The JavaScript binding has no call for fz_set_aa_level, so the settings are written where
 * fz_new_context put them, in the context's fz_aa_context {hscale, vscale, scale, bits,
 * text_bits, min_line_width} (draw-edge.c: level 8 is 17, 15, 256, 8, 8 and a minimum line
 * width of 0; level 0 is 1, 1, 0xff00, 0, 0), which every draw device copies when it is made.
 * The defaults are looked for in WebAssembly memory, and a test drawing proves the change took:
 * if it did not (another MuPDF build), the old values go back and pages are drawn anti-aliased,
 * which the bilevel pass handles as before.
 */
function drawWithoutAntiAliasing(): void {
  if (aliasingChecked) return;
  aliasingChecked = true;
  const probe = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, 1, 1], false);
  const memory = probe.getPixels().buffer;
  probe.destroy();
  const ints = new Int32Array(memory);
  // indexOf, not a loop: a cold loop over millions of words cost the CLI's first page 40 ms.
  let at = ints.indexOf(17);
  while (at >= 0 && !(ints[at + 1] === 15 && ints[at + 2] === 256 && ints[at + 3] === 8 && ints[at + 4] === 8 && ints[at + 5] === 0)) at = ints.indexOf(17, at + 1);
  if (at < 0) return;
  const saved = ints.slice(at, at + 6);
  ints.set([1, 1, 0xff00, 0, 0], at);
  if (!drawsBilevel()) ints.set(saved, at);
}

/** Whether a slanted edge and a small glyph come out in black and white only. */
function drawsBilevel(): boolean {
  const pix = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, 32, 32], false);
  try {
    pix.clear(255);
    const dev = new mupdf.DrawDevice(mupdf.Matrix.identity, pix);
    const path = new mupdf.Path();
    const text = new mupdf.Text();
    const font = new mupdf.Font('Times-Roman');
    try {
      path.moveTo(1, 1);
      path.lineTo(30, 9);
      path.lineTo(12, 30);
      path.closePath();
      dev.fillPath(path, false, mupdf.Matrix.identity, mupdf.ColorSpace.DeviceGray, [0], 1);
      text.showString(font, [9, 0, 0, -9, 20, 30], 'e');
      dev.fillText(text, mupdf.Matrix.identity, mupdf.ColorSpace.DeviceGray, [0], 1);
      dev.close();
    } finally {
      dev.destroy();
      path.destroy();
      text.destroy();
      font.destroy();
    }
    const px = pix.getPixels();
    let ink = 0;
    for (const v of px) {
      if (v !== 0 && v !== 255) return false;
      if (v === 0) ink++;
    }
    return ink > 0;
  } finally {
    pix.destroy();
  }
}

/** Widest layout tried for HTML that does not fit the fax width: four times the page. */
const MAX_LAYOUT_WIDENING = 4;

/**
 * HTML is laid out straight onto the fax width, so text is not scaled. Content with a fixed
 * width beyond it (a 1200-pixel newsletter table) would be cut off at the page edge, so the
 * document is laid out again as wide as its content, on a page as much taller, and every page
 * is later scaled down onto the fax width: smaller, never cropped.
 */
function layoutToFit(doc: mupdf.Document, heightPt: number): void {
  let width = FAX_WIDTH_PT;
  doc.layout(width, heightPt, 11);
  for (let attempt = 0; attempt < 2; attempt++) {
    const right = widestContent(doc);
    if (right <= width + 1) return;
    const factor = Math.min(MAX_LAYOUT_WIDENING, (right + 36) / FAX_WIDTH_PT);
    if (factor * FAX_WIDTH_PT <= width) return;
    width = factor * FAX_WIDTH_PT;
    doc.layout(width, heightPt * factor, 11);
  }
}

/** The right edge of everything drawn on any page (text, paths, images), in points. */
function widestContent(doc: mupdf.Document): number {
  let right = 0;
  const grow = (r: mupdf.Rect) => {
    if (Number.isFinite(r[2]) && r[2] > right) right = r[2];
  };
  const noStroke = null as unknown as mupdf.StrokeState;
  const dev = new mupdf.Device({
    fillPath: (path, _evenOdd, ctm) => grow(path.getBounds(noStroke, ctm)),
    strokePath: (path, stroke, ctm) => grow(path.getBounds(stroke, ctm)),
    fillText: (text, ctm) => grow(text.getBounds(noStroke, ctm)),
    strokeText: (text, stroke, ctm) => grow(text.getBounds(stroke, ctm)),
    fillImage: (_image, ctm) => grow(mupdf.Rect.transform([0, 0, 1, 1], ctm)),
    fillImageMask: (_image, ctm) => grow(mupdf.Rect.transform([0, 0, 1, 1], ctm)),
  });
  try {
    const n = doc.countPages();
    for (let i = 0; i < n; i++) {
      const page = doc.loadPage(i);
      try {
        page.run(dev, mupdf.Matrix.identity);
      } finally {
        page.destroy();
      }
    }
    dev.close();
  } finally {
    dev.destroy();
  }
  return right;
}

let lineFont: mupdf.Font | undefined;

/** A heavy sans face for header lines: thin strokes at 8 pt break up when thresholded. */
function headerFont(): mupdf.Font {
  if (!lineFont) {
    const file = ['/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'].find((f) => existsSync(f));
    lineFont = file ? new mupdf.Font('DejaVuSans-Bold', readFileSync(file)) : new mupdf.Font('Helvetica-Bold');
  }
  return lineFont;
}

function drawTextLine(fields: string[], sizePt: number, yDpi: number): GrayPage {
  const sx = FAX_X_DPI / 72;
  const sy = yDpi / 72;
  const height = Math.max(1, Math.round(sizePt * 1.5 * sy));
  const pix = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, FAX_WIDTH_PX, height], false);
  try {
    pix.clear(255);
    const font = headerFont();
    const widthPt = (s: string) => [...s].reduce((w, ch) => w + font.advanceGlyph(font.encodeCharacter(ch)) * sizePt, 0);
    const marginPt = 14;
    const usable = FAX_WIDTH_PT - 2 * marginPt;
    const text = new mupdf.Text();
    fields.forEach((f, i) => {
      const w = widthPt(f);
      const x = fields.length === 1 ? marginPt : marginPt + ((usable - w) * i) / (fields.length - 1);
      // Text space is y-up; the trm flips it into the page's y-down space.
      text.showString(font, [sizePt, 0, 0, -sizePt, x, sizePt * 1.15], f);
    });
    const dev = new mupdf.DrawDevice(mupdf.Matrix.scale(sx, sy), pix);
    try {
      dev.fillText(text, mupdf.Matrix.identity, mupdf.ColorSpace.DeviceGray, [0], 1);
      dev.close();
    } finally {
      dev.destroy();
      text.destroy();
    }
    return centreOnFaxWidth(pix);
  } finally {
    pix.destroy();
  }
}

function renderPage<T>(page: mupdf.Page, yDpi: number, paperHeightPt: number, longPages: 'scale' | 'split', mayRotate: boolean, take: (g: GrayPage) => T): T[] {
  // Bounds include the page's /Rotate, so a rotated page arrives upright here.
  const [x0, y0, x1, y1] = page.getBounds();
  let w = x1 - x0;
  let h = y1 - y0;
  if (!(w > 0 && h > 0)) throw new Error('a page has no area');
  // Landscape pages are turned to portrait: a fax is read top to bottom, and a landscape page
  // scaled onto the portrait width would be unreadably small. HTML is laid out to the page.
  const rotate = mayRotate && w > h * 1.05;
  if (rotate) [w, h] = [h, w];
  let fit = Math.min(1, FAX_WIDTH_PT / w);
  const long = h * fit > paperHeightPt * LONG_SLACK;
  if (long && longPages === 'scale') fit = Math.min(fit, paperHeightPt / h);
  const sx = (FAX_X_DPI / 72) * fit;
  const sy = (yDpi / 72) * fit;
  // toPixmap places the pixmap at the transformed bounds, so no translation is needed.
  // Counter-clockwise, as printers put landscape on portrait paper (top edge to the left); it
  // also turns a portrait page stored with /Rotate 90 back upright.
  const m: mupdf.Matrix = rotate ? mupdf.Matrix.concat(mupdf.Matrix.rotate(-90), mupdf.Matrix.scale(sx, sy)) : mupdf.Matrix.scale(sx, sy);
  return drawOnFaxLine(page, m, (gray) => (long && longPages === 'split' ? splitRows(gray, Math.round((paperHeightPt / 72) * yDpi)).map(take) : [take(gray)]));
}

function copyOut(g: GrayPage): GrayPage {
  return { ...g, pixels: g.pixels.slice(0, g.stride * g.height) };
}

let scratch = new Uint8Array(0);

/**
 * Draws the page straight onto a white pixmap one fax line wide, narrower pages (A4 is 1687
 * pels at 204 dpi) centred, and hands it to `use` while it is in WebAssembly memory.
 */
function drawOnFaxLine<T>(page: mupdf.Page, m: mupdf.Matrix, use: (g: GrayPage) => T): T {
  const [bx0, by0, bx1, by1] = mupdf.Rect.transform(page.getBounds(), m);
  const x0 = Math.floor(bx0);
  const y0 = Math.floor(by0);
  const w = Math.ceil(bx1) - x0;
  const h = Math.max(1, Math.ceil(by1) - y0);
  const left = x0 - Math.floor((FAX_WIDTH_PX - w) / 2);
  const pix = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [left, y0, left + FAX_WIDTH_PX, y0 + h], false);
  try {
    pix.clear(255);
    const dev = new mupdf.DrawDevice(mupdf.Matrix.identity, pix);
    try {
      page.run(dev, m);
      dev.close();
    } finally {
      dev.destroy();
    }
    const stride = pix.getStride();
    const view = pix.getPixels();
    // The pixels are read where MuPDF drew them: WebAssembly memory's buffer is a plain
    // (non-resizable) ArrayBuffer, so a Uint8Array over it is as fast as any, and copying 4 MB
    // per page cost ~0.1 ms. The view is valid until the next call into MuPDF, which `use`
    // does not make (callers that keep pages get a copy from copyOut).
    const n = stride * h;
    let pixels = new Uint8Array(view.buffer, view.byteOffset, n);
    if (view.byteOffset % 4 !== 0) {
      // The threshold reads words; malloc aligns, but should it not, one copy beats bytewise reads.
      if (scratch.length < n) scratch = new Uint8Array(n);
      scratch.set(pixels);
      pixels = scratch.subarray(0, n);
    }
    return use({ width: FAX_WIDTH_PX, height: h, stride, pixels });
  } finally {
    pix.destroy();
  }
}

/** Centres a pixmap narrower than the fax line on a white line of full fax width. */
function centreOnFaxWidth(pix: mupdf.Pixmap): GrayPage {
  const pw = pix.getWidth();
  const ph = pix.getHeight();
  const stride = pix.getStride();
  // getPixels is a Uint8ClampedArray view of WebAssembly memory: the same view as Uint8Array
  // lets set() copy rows as memcpy instead of element by element.
  const clamped = pix.getPixels();
  const src = new Uint8Array(clamped.buffer, clamped.byteOffset, clamped.length);
  const out = new Uint8Array(FAX_WIDTH_PX * ph).fill(255);
  const dx = Math.max(0, Math.floor((FAX_WIDTH_PX - pw) / 2));
  const copyW = Math.min(pw, FAX_WIDTH_PX);
  for (let y = 0; y < ph; y++) out.set(src.subarray(y * stride, y * stride + copyW), y * FAX_WIDTH_PX + dx);
  return { width: FAX_WIDTH_PX, height: ph, stride: FAX_WIDTH_PX, pixels: out };
}

/** Cuts a tall page into pieces of at most `rows` lines (the last one shorter). */
export function splitRows(g: GrayPage, rows: number): GrayPage[] {
  const out: GrayPage[] = [];
  for (let top = 0; top < g.height; top += rows) {
    const h = Math.min(rows, g.height - top);
    out.push({ width: g.width, height: h, stride: g.stride, pixels: g.pixels.subarray(top * g.stride, (top + h) * g.stride) });
  }
  return out;
}
