import * as mupdf from 'mupdf';
import { FAX_WIDTH_PT, FAX_WIDTH_PX, FAX_X_DPI } from './page-geometry.ts';
import type { GrayPage } from './gray-page.ts';

/**
 * The rendering engine behind a small interface: documents in, grey pages at fax resolution out.
 * MuPDF (WebAssembly) rasterises PDF, XPS, EPUB, SVG and images and lays out HTML.
 */
export interface RenderEngine {
  /** Renders every page of a document, each scaled to the fax width (never cropped). */
  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts?: { pageHeightPt?: number }): GrayPage[];
}

export class MuPdfEngine implements RenderEngine {
  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts: { pageHeightPt?: number } = {}): GrayPage[] {
    const doc = mupdf.Document.openDocument(data, mimeType);
    try {
      if (doc.needsPassword() && !doc.authenticatePassword('')) {
        throw new Error('the document is protected by a password');
      }
      if (mimeType === 'text/html' || mimeType === 'application/xhtml+xml') {
        // HTML is laid out straight onto the fax width, so text is never scaled.
        doc.layout(FAX_WIDTH_PT, opts.pageHeightPt ?? 792, 11);
      }
      const pages: GrayPage[] = [];
      const n = doc.countPages();
      for (let i = 0; i < n; i++) {
        const page = doc.loadPage(i);
        try {
          pages.push(renderPage(page, yDpi));
        } finally {
          page.destroy();
        }
      }
      return pages;
    } finally {
      doc.destroy();
    }
  }
}

function renderPage(page: mupdf.Page, yDpi: number): GrayPage {
  const [x0, y0, x1, y1] = page.getBounds();
  let w = x1 - x0;
  let h = y1 - y0;
  // Landscape pages are turned to portrait: a fax is always read top to bottom.
  const rotate = w > h * 1.05;
  if (rotate) [w, h] = [h, w];
  const sx0 = FAX_X_DPI / 72;
  const fit = Math.min(1, FAX_WIDTH_PX / (w * sx0));
  const sx = sx0 * fit;
  const sy = (yDpi / 72) * fit;
  let m: mupdf.Matrix = mupdf.Matrix.scale(sx, sy);
  if (rotate) m = mupdf.Matrix.concat(mupdf.Matrix.rotate(90), m);
  const pix = page.toPixmap(m, mupdf.ColorSpace.DeviceGray, false);
  try {
    const pw = pix.getWidth();
    const ph = pix.getHeight();
    const stride = pix.getStride();
    const src = pix.getPixels();
    // Centre narrower pages (A4 on a 1728-pel line) on a white line of full fax width.
    const out = new Uint8Array(FAX_WIDTH_PX * ph).fill(255);
    const dx = Math.max(0, Math.floor((FAX_WIDTH_PX - pw) / 2));
    const copyW = Math.min(pw, FAX_WIDTH_PX);
    for (let y = 0; y < ph; y++) out.set(src.subarray(y * stride, y * stride + copyW), y * FAX_WIDTH_PX + dx);
    return { width: FAX_WIDTH_PX, height: ph, stride: FAX_WIDTH_PX, pixels: out };
  } finally {
    pix.destroy();
  }
}
