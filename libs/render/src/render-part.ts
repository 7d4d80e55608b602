import type { FaxPage } from '@faxgate/fax-image';
import { MuPdfEngine, type RenderEngine } from './mupdf-engine.ts';
import { SHARP_IMAGE_TYPES, renderImage } from './image-document.ts';
import { renderBilevelTiff } from './tiff-document.ts';
import { textToHtml } from './text-document.ts';
import { toBilevel } from './bilevel.ts';
import type { PhotoDither } from './photo-dither.ts';
import { FAX_X_DPI } from './page-geometry.ts';
import { isOffice, isNative } from './document-types.ts';
import { officeToPdf } from './office-convert.ts';

/** One document to turn into fax pages. Text and HTML are UTF-8. */
export interface DocumentInput {
  label: string;
  mimeType: string;
  data: Uint8Array;
}

/** How documents become pages, and the limits one document must stay within. */
export interface PartRenderOptions {
  yDpi: number;
  pageHeightPt: number;
  longPages: 'scale' | 'split';
  maxPages: number;
  maxPixels: number;
  /** Convert Office documents with LibreOffice (when installed). */
  office: boolean;
  officeTimeoutMs: number;
  /** Photo regions: halftone screen or error diffusion (DEFAULT_PHOTO_DITHER when absent). */
  photoDither?: PhotoDither;
}

let defaultEngine: RenderEngine | undefined;

/**
 * Renders one document into fax pages. Throws with a sentence fit for the sender (why this
 * document could not be faxed); the caller turns it into a notice page.
 */
export async function renderPart(doc: DocumentInput, opts: PartRenderOptions, engine?: RenderEngine): Promise<FaxPage[]> {
  const eng = engine ?? (defaultEngine ??= new MuPdfEngine());
  const engineOpts = { pageHeightPt: opts.pageHeightPt, longPages: opts.longPages, maxPages: opts.maxPages };
  const gray = (data: Uint8Array, type: string): FaxPage[] => eng.renderDocument(data, type, opts.yDpi, engineOpts, (g) => ({ bitmap: toBilevel(g, 128, opts.photoDither), xDpi: FAX_X_DPI, yDpi: opts.yDpi }));
  const type = doc.mimeType;
  if (type === 'text/plain') return gray(new TextEncoder().encode(textToHtml(new TextDecoder().decode(doc.data))), 'text/html');
  if (type === 'image/tiff') {
    const fax = renderBilevelTiff(doc.data, opts.maxPages, opts.maxPixels);
    if (fax) return fax;
  }
  if (SHARP_IMAGE_TYPES.has(type)) {
    const pages = await renderImage(doc.data, { yDpi: opts.yDpi, pageHeightPt: opts.pageHeightPt, maxPixels: opts.maxPixels, longPages: opts.longPages, maxPages: opts.maxPages });
    if (pages.length > opts.maxPages) throw new Error(`it makes more than ${opts.maxPages} fax pages`);
    return pages.map((g) => ({ bitmap: toBilevel(g, 128, opts.photoDither), xDpi: FAX_X_DPI, yDpi: opts.yDpi }));
  }
  if (isOffice(type)) {
    if (!opts.office) throw new Error('Office documents are not converted on this gateway (send a PDF instead)');
    return gray(await officeToPdf(doc.data, doc.label, opts.officeTimeoutMs), 'application/pdf');
  }
  if (isNative(type)) return gray(doc.data, type);
  throw new Error(`this kind of attachment (${type}) cannot be faxed`);
}
