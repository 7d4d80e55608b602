import type { FaxPage } from '@faxgate/fax-image';
import { coverPageHtml, type CoverFields } from './cover-page.ts';
import { MuPdfEngine, type RenderEngine } from './mupdf-engine.ts';
import { noticePageHtml } from './notice-page.ts';
import { FAX_X_DPI, PAPER_PT, Y_DPI, type PaperSize, type VerticalResolution } from './page-geometry.ts';
import { renderPart, type PartRenderOptions } from './render-part.ts';
import { toBilevel } from './bilevel.ts';
import { formatTagline, stampTagline, type TaglineFields } from './tagline.ts';
import type { MailContent } from './mail-parts.ts';
import { SandboxUnavailableError, type RenderSandbox } from './render-sandbox.ts';

/** Limits one document (attachment) must stay within. */
export interface DocumentLimits {
  /** Pages per fax, all documents together. */
  maxPages: number;
  /** Pixels of one image before decoding. */
  maxPixels: number;
}

export interface RenderOptions {
  resolution: VerticalResolution;
  paper: PaperSize;
  /** Pages longer than the paper: scaled to fit (default) or split. */
  longPages?: 'scale' | 'split';
  limits?: Partial<DocumentLimits>;
  /** Convert Office documents with LibreOffice. */
  office?: boolean;
  officeTimeoutMs?: number;
  /** Where untrusted documents are opened; without one they render in this process. */
  sandbox?: RenderSandbox;
  /** Trusted HTML (cover, notices, header lines) is laid out here. */
  engine?: RenderEngine;
}

export interface RenderedDocument {
  pages: FaxPage[];
  /** One sentence per part that could not be faxed (each also has a notice page). */
  notices: string[];
}

export const DEFAULT_LIMITS: DocumentLimits = { maxPages: 200, maxPixels: 100_000_000 };

let sharedEngine: RenderEngine | undefined;
const engineOf = (opts: RenderOptions) => opts.engine ?? (sharedEngine ??= new MuPdfEngine());
const utf8 = new TextEncoder();

/** Lays out trusted HTML (our own templates) as fax pages. */
export function renderHtmlPages(html: string, opts: RenderOptions): FaxPage[] {
  const yDpi = Y_DPI[opts.resolution];
  return engineOf(opts).renderDocument(utf8.encode(html), 'text/html', yDpi, { pageHeightPt: PAPER_PT[opts.paper].height }, (g): FaxPage => ({ bitmap: toBilevel(g), xDpi: FAX_X_DPI, yDpi }));
}

/**
 * Renders the documents of a mail (HTML or long text body, attachments, forwarded messages)
 * into fax pages, in mail order. A part that cannot be faxed, or breaks a limit, becomes a
 * notice page and a sentence; the others are still faxed.
 */
export async function renderDocuments(content: MailContent, opts: RenderOptions): Promise<RenderedDocument> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const pages: FaxPage[] = [];
  const notices: string[] = [];
  const addNotice = (label: string, reason: string) => {
    notices.push(reason);
    pages.push(...renderHtmlPages(noticePageHtml(label, reason), opts));
  };
  for (const part of content.parts) {
    if (part.kind === 'notice') {
      addNotice(part.label, part.reason);
      continue;
    }
    const partOpts: PartRenderOptions = {
      yDpi: Y_DPI[opts.resolution],
      pageHeightPt: PAPER_PT[opts.paper].height,
      longPages: opts.longPages ?? 'scale',
      maxPages: Math.max(1, limits.maxPages - pages.length),
      maxPixels: limits.maxPixels,
      office: opts.office ?? false,
      officeTimeoutMs: opts.officeTimeoutMs ?? 60_000,
    };
    try {
      const doc = { label: part.label, mimeType: part.mimeType, data: part.data };
      const rendered = opts.sandbox ? await opts.sandbox.render(doc, partOpts) : await renderPart(doc, partOpts, opts.engine);
      if (rendered.length === 0) addNotice(part.label, `${capitalise(part.label)} was not faxed: it has no pages.`);
      pages.push(...rendered);
    } catch (err) {
      // A renderer that cannot run at all fails the job (it is retried), not the document.
      if (err instanceof SandboxUnavailableError) throw err;
      addNotice(part.label, `${capitalise(part.label)} was not faxed: ${(err as Error).message}.`);
    }
  }
  return { pages, notices };
}

/**
 * The cover page(s) for one recipient from a template. The page count printed on it includes
 * the cover itself, so a long message that spills onto a second cover page is counted.
 */
export function renderCover(fields: Omit<CoverFields, 'pageCount'>, documentPages: number, opts: RenderOptions, template?: string): FaxPage[] {
  const render = (coverPages: number) => renderHtmlPages(coverPageHtml({ ...fields, pageCount: documentPages + coverPages }, template), opts);
  let pages = render(1);
  if (pages.length !== 1) pages = render(pages.length);
  return pages;
}

/** Puts a header line on every page ("page n of m" counts all of them). */
export function addTaglines(pages: FaxPage[], format: string, fields: Omit<TaglineFields, 'page' | 'pages'>, opts: RenderOptions): FaxPage[] {
  const engine = engineOf(opts);
  return pages.map((p, i) => stampTagline(p, formatTagline(format, { ...fields, page: i + 1, pages: pages.length }), engine));
}

/** Our own labels ("the message text") start a sentence capitalised; file names stay as they are. */
function capitalise(s: string): string {
  return /^(the|an?) /.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}
