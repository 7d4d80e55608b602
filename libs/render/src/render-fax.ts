import type { FaxPage } from '@faxgate/fax-image';
import { coverPageHtml, type CoverFields } from './cover-page.ts';
import { MuPdfEngine, type RenderEngine } from './mupdf-engine.ts';
import { noticePageHtml } from './notice-page.ts';
import { FAX_X_DPI, PAPER_PT, Y_DPI, type PaperSize, type VerticalResolution } from './page-geometry.ts';
import { renderPart, type PartRenderOptions } from './render-part.ts';
import { toBilevel } from './bilevel.ts';
import type { PhotoDither } from './photo-dither.ts';
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
  /** Photo regions: halftone screen or error diffusion (DEFAULT_PHOTO_DITHER when absent). */
  photoDither?: PhotoDither;
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

/** Lays out trusted HTML (our own templates) as fax pages, in this process. */
export function renderHtmlPages(html: string, opts: RenderOptions): FaxPage[] {
  const yDpi = Y_DPI[opts.resolution];
  return engineOf(opts).renderDocument(utf8.encode(html), 'text/html', yDpi, { pageHeightPt: PAPER_PT[opts.paper].height }, (g): FaxPage => ({ bitmap: toBilevel(g, 128, opts.photoDither), xDpi: FAX_X_DPI, yDpi }));
}

/**
 * Lays out our own HTML with text from the mail in it (cover pages, notice pages): in the
 * sandbox, under the same time and memory limits as documents, when there is one. The text is
 * cut to sane lengths before it gets here; the sandbox is for whatever still goes wrong.
 */
export async function layoutHtml(html: string, label: string, opts: RenderOptions, maxPages: number): Promise<FaxPage[]> {
  if (!opts.sandbox) {
    const pages = renderHtmlPages(html, opts);
    if (pages.length > maxPages) throw new Error(`it makes more than ${maxPages} fax pages`);
    return pages;
  }
  return opts.sandbox.render({ label, mimeType: 'text/html', data: utf8.encode(html) }, partOptions(opts, maxPages));
}

function partOptions(opts: RenderOptions, maxPages: number): PartRenderOptions {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  return {
    yDpi: Y_DPI[opts.resolution],
    pageHeightPt: PAPER_PT[opts.paper].height,
    longPages: opts.longPages ?? 'scale',
    maxPages,
    maxPixels: limits.maxPixels,
    office: opts.office ?? false,
    officeTimeoutMs: opts.officeTimeoutMs ?? 60_000,
    photoDither: opts.photoDither,
  };
}

/**
 * Renders the documents of a mail (HTML or long text body, attachments, forwarded messages)
 * into fax pages, in mail order. A part that cannot be faxed, or breaks a limit, becomes a
 * notice page and a sentence; the others are still faxed. The page limit holds for the whole
 * fax however many parts the mail has: `reserve` pages are kept for the cover, notice pages
 * count, and once the pages run out the parts left over are named in one last notice page.
 */
export async function renderDocuments(content: MailContent, opts: RenderOptions, reserve = 0): Promise<RenderedDocument> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const limit = limits.maxPages - reserve;
  const pages: FaxPage[] = [];
  const notices: string[] = [];
  const noticePage = async (label: string, reason: string) => {
    try {
      pages.push(...(await layoutHtml(noticePageHtml(label, reason), 'a notice page', opts, 1)));
    } catch (err) {
      if (err instanceof SandboxUnavailableError) throw err;
      // The sentence still reaches the sender in the result mail.
    }
  };
  const addNotice = async (label: string, reason: string) => {
    notices.push(reason);
    await noticePage(label, reason);
  };
  const parts = content.parts;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    // One page stays free for the notice that names the parts that did not fit.
    const room = limit - pages.length - (i === parts.length - 1 ? 0 : 1);
    if (room < 1) {
      const left = parts.slice(i).map((p) => p.label);
      const names = left.length > 5 ? `${left.slice(0, 5).join(', ')} and ${left.length - 5} more` : left.join(', ');
      const reason = `${left.length} part${left.length === 1 ? ' was' : 's were'} not faxed: the fax reached its limit of ${limits.maxPages} pages (${names}).`;
      notices.push(reason);
      if (pages.length < limit) await noticePage(`${left.length} part${left.length === 1 ? '' : 's'} of the message`, reason);
      break;
    }
    if (part.kind === 'notice') {
      await addNotice(part.label, part.reason);
      continue;
    }
    const partOpts = partOptions(opts, room);
    try {
      const doc = { label: part.label, mimeType: part.mimeType, data: part.data };
      const rendered = opts.sandbox ? await opts.sandbox.render(doc, partOpts) : await renderPart(doc, partOpts, opts.engine);
      if (rendered.length === 0) await addNotice(part.label, `${capitalise(part.label)} was not faxed: it has no pages.`);
      pages.push(...rendered);
    } catch (err) {
      // A renderer that cannot run at all fails the job (it is retried), not the document.
      if (err instanceof SandboxUnavailableError) throw err;
      await addNotice(part.label, `${capitalise(part.label)} was not faxed: ${(err as Error).message}.`);
    }
  }
  return { pages, notices };
}

/**
 * The cover page(s) for one recipient from a template, laid out like a document (in the
 * sandbox when there is one). The page count printed on it includes the cover itself, so a
 * long message that spills onto a second cover page is counted. The cover stays within
 * `maxPages` (what the page limit leaves after the documents): a message too long for that is
 * cut, and as a last resort the cover's last pages are left off.
 */
export async function renderCover(fields: Omit<CoverFields, 'pageCount'>, documentPages: number, opts: RenderOptions, template?: string, maxPages = Number.MAX_SAFE_INTEGER): Promise<FaxPage[]> {
  const allowed = Math.max(1, maxPages);
  const cap = Math.min(allowed, 20);
  const render = (f: Omit<CoverFields, 'pageCount'>, coverPages: number) => layoutHtml(coverPageHtml({ ...f, pageCount: documentPages + coverPages }, template), 'the cover page', opts, cap);
  let f = fields;
  let pages: FaxPage[];
  try {
    pages = await render(f, 1);
  } catch (err) {
    if (err instanceof SandboxUnavailableError || !f.message) throw err;
    // Too many pages for what is left: the message is cut, the cover itself still goes.
    f = { ...f, message: `${f.message.slice(0, 500)} […]` };
    pages = await render(f, 1);
  }
  if (pages.length !== 1) pages = await render(f, pages.length);
  return pages.slice(0, allowed);
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
