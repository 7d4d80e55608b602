import { bitmapFromGray, type Bitmap } from '@faxgate/fax-image';
import { coverPageHtml, type CoverFields } from './cover-page.ts';
import { MuPdfEngine, type RenderEngine } from './mupdf-engine.ts';
import { noticePageHtml } from './notice-page.ts';
import { PAPER_PT, Y_DPI, type PaperSize, type VerticalResolution } from './page-geometry.ts';
import { textToHtml } from './text-document.ts';
import type { MailContent } from './mail-parts.ts';
import type { GrayPage } from './gray-page.ts';

export interface RenderOptions {
  resolution: VerticalResolution;
  paper: PaperSize;
  engine?: RenderEngine;
}

export interface RenderedDocument {
  pages: Bitmap[];
  /** One sentence per part that could not be faxed (each also has a notice page). */
  notices: string[];
}

const defaultEngine = new MuPdfEngine();
const utf8 = new TextEncoder();

/** Renders the documents of a mail (attachments) into fax pages, notices for what cannot be faxed. */
export function renderDocuments(content: MailContent, opts: RenderOptions): RenderedDocument {
  const engine = opts.engine ?? defaultEngine;
  const yDpi = Y_DPI[opts.resolution];
  const heightPt = PAPER_PT[opts.paper].height;
  const pages: Bitmap[] = [];
  const notices: string[] = [];
  const addNotice = (label: string, reason: string) => {
    notices.push(reason);
    pages.push(...engine.renderDocument(utf8.encode(noticePageHtml(label, reason)), 'text/html', yDpi, { pageHeightPt: heightPt }).map(toBitmap));
  };
  for (const part of content.parts) {
    if (part.kind === 'notice') {
      addNotice(part.label, part.reason);
      continue;
    }
    try {
      const gray =
        part.mimeType === 'text/plain'
          ? engine.renderDocument(utf8.encode(textToHtml(new TextDecoder().decode(part.data))), 'text/html', yDpi, { pageHeightPt: heightPt })
          : engine.renderDocument(part.data, part.mimeType, yDpi, { pageHeightPt: heightPt });
      if (gray.length === 0) addNotice(part.label, `${part.label} has no pages`);
      pages.push(...gray.map(toBitmap));
    } catch (err) {
      addNotice(part.label, `${part.label} could not be read: ${(err as Error).message}`);
    }
  }
  return { pages, notices };
}

/**
 * The cover page(s) for one recipient. The page count printed on it includes the cover itself,
 * so a long message that spills onto a second cover page is counted.
 */
export function renderCover(fields: Omit<CoverFields, 'pageCount'>, documentPages: number, opts: RenderOptions): Bitmap[] {
  const engine = opts.engine ?? defaultEngine;
  const yDpi = Y_DPI[opts.resolution];
  const heightPt = PAPER_PT[opts.paper].height;
  const render = (coverPages: number) => engine.renderDocument(utf8.encode(coverPageHtml({ ...fields, pageCount: documentPages + coverPages })), 'text/html', yDpi, { pageHeightPt: heightPt });
  let gray = render(1);
  if (gray.length !== 1) gray = render(gray.length);
  return gray.map(toBitmap);
}

function toBitmap(g: GrayPage): Bitmap {
  const packed = g.stride === g.width ? g.pixels : compact(g);
  return bitmapFromGray(packed, g.width, g.height);
}

function compact(g: GrayPage): Uint8Array {
  const out = new Uint8Array(g.width * g.height);
  for (let y = 0; y < g.height; y++) out.set(g.pixels.subarray(y * g.stride, y * g.stride + g.width), y * g.width);
  return out;
}
