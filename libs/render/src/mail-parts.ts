import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import { SIGNATURE_TYPES, contentTypeOf, isNative, isOffice, isOtherText } from './document-types.ts';
import { escapeHtml } from './html-escape.ts';
import { prepareMailHtml, type InlineImage } from './html-mail.ts';
import { clipFileName, clipText, TEXT_LIMITS } from './layout-limits.ts';
import { imagePixels } from './image-size.ts';

/** One thing in a mail that becomes fax pages. */
export type FaxablePart =
  | { kind: 'document'; label: string; mimeType: string; data: Uint8Array }
  | { kind: 'notice'; label: string; reason: string };

export interface MailContent {
  parsed: ParsedMail;
  /** The short text body that goes on the cover page as its message ('' when none). */
  bodyText: string;
  /** Where the body went: the cover's message, document pages in front of the attachments, or nowhere (empty). */
  body: 'cover' | 'pages' | 'none';
  parts: FaxablePart[];
}

export interface MailReadOptions {
  /** multipart/alternative: render the HTML part (default) or the text part; never both. */
  preferHtml?: boolean;
  /** Whether a cover page carries the message; without one, a text body becomes pages. */
  coverMessage?: boolean;
  /** A text body longer than this many lines is faxed as pages, not squeezed onto the cover. */
  coverMessageMaxLines?: number;
  /** Inline (`cid:`) images with more pixels are left out, as attachments over the limit are. */
  maxImagePixels?: number;
}

const MAX_DEPTH = 5;
const utf8 = new TextEncoder();

/** A message the parser refuses (over 1000 MIME parts, a header section over 1 MiB): retrying cannot help. */
export class UnreadableMailError extends Error {}

/** Parses a raw RFC 5322 message (any charset mailparser decodes). */
export async function parseMail(raw: Uint8Array): Promise<ParsedMail> {
  try {
    return await simpleParser(Buffer.from(raw), { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true });
  } catch (err) {
    throw new UnreadableMailError(`the message cannot be read (${(err as Error).message})`);
  }
}

/**
 * Splits a mail into what is faxed. The body decision:
 * - an HTML body (text/html, or the HTML side of multipart/alternative unless `preferHtml` is
 *   false) is laid out as document pages in front of the attachments, with its `cid:` images;
 * - a text body short enough goes on the cover page as the message (as a fax cover sheet
 *   carries a note); a long one, or any text body when there is no cover, becomes pages;
 * - every attachment is a document, a forwarded message (message/rfc822) is rendered with its
 *   headers and its own attachments follow, and anything that cannot be faxed is a notice.
 */
export async function readMailContent(raw: Uint8Array | ParsedMail, opts: MailReadOptions = {}): Promise<MailContent> {
  const parsed = raw instanceof Uint8Array ? await parseMail(raw) : raw;
  const parts: FaxablePart[] = [];
  const text = (parsed.text ?? '').replace(/\s+$/, '');
  const useHtml = typeof parsed.html === 'string' && parsed.html.trim() !== '' && (opts.preferHtml !== false || !text.trim());
  let bodyText = '';
  let body: MailContent['body'] = 'none';
  const usedCids = new Set<string>();
  if (useHtml) {
    const prepared = prepareMailHtml(parsed.html as string, await inlineImages(parsed.attachments, opts.maxImagePixels));
    prepared.usedCids.forEach((c) => usedCids.add(c));
    parts.push({ kind: 'document', label: 'the message text', mimeType: 'text/html', data: utf8.encode(prepared.html) });
    body = 'pages';
  } else if (text.trim()) {
    const lines = text.split('\n').length;
    if (opts.coverMessage !== false && lines <= (opts.coverMessageMaxLines ?? 40) && text.length <= 4000) {
      bodyText = text.trim();
      body = 'cover';
    } else {
      parts.push({ kind: 'document', label: 'the message text', mimeType: 'text/plain', data: utf8.encode(text) });
      body = 'pages';
    }
  }
  await attachmentParts(parsed, useHtml, usedCids, parts, 0, opts);
  return { parsed, bodyText, body, parts };
}

async function attachmentParts(parsed: ParsedMail, htmlRendered: boolean, usedCids: Set<string>, parts: FaxablePart[], depth: number, opts: MailReadOptions): Promise<void> {
  for (const a of parsed.attachments) {
    const cid = a.cid ? a.cid.replace(/^<|>$/g, '').toLowerCase() : undefined;
    // Images of the HTML body are on its pages; those of an HTML side not rendered (the text
    // alternative was) belong to that side, which says the same thing.
    if (cid && usedCids.has(cid)) continue;
    if (a.related && !htmlRendered) continue;
    const type = contentTypeOf(a.contentType, a.filename);
    const label = a.filename ? clipFileName(a.filename) : type === 'message/rfc822' ? 'a forwarded message' : `an attachment (${clipText(type, TEXT_LIMITS.name)})`;
    if (type === 'message/rfc822') {
      if (depth >= MAX_DEPTH) {
        parts.push({ kind: 'notice', label, reason: `${label} is nested more than ${MAX_DEPTH} messages deep and was not faxed` });
        continue;
      }
      let inner: ParsedMail;
      try {
        inner = await parseMail(a.content);
      } catch (err) {
        parts.push({ kind: 'notice', label, reason: `${label} was not faxed: ${(err as Error).message}` });
        continue;
      }
      const { html, usedCids: innerCids } = await forwardedHtml(inner, opts.preferHtml !== false, opts.maxImagePixels);
      parts.push({ kind: 'document', label: `the forwarded message "${clipText(inner.subject ?? '', TEXT_LIMITS.subject)}"`, mimeType: 'text/html', data: utf8.encode(html) });
      await attachmentParts(inner, typeof inner.html === 'string' && opts.preferHtml !== false, innerCids, parts, depth + 1, opts);
      continue;
    }
    if (SIGNATURE_TYPES.has(type)) continue;
    if (type === 'text/plain' || isOtherText(type)) {
      parts.push({ kind: 'document', label, mimeType: 'text/plain', data: utf8.encode(decodeText(a)) });
      continue;
    }
    if (type === 'text/html') {
      parts.push({ kind: 'document', label, mimeType: type, data: utf8.encode(prepareMailHtml(decodeText(a), []).html) });
      continue;
    }
    if (isNative(type) || isOffice(type)) {
      parts.push({ kind: 'document', label, mimeType: type, data: a.content });
      continue;
    }
    parts.push({ kind: 'notice', label, reason: `${label} (${type}) was not faxed: this kind of attachment cannot be turned into fax pages` });
  }
}

/**
 * The inline images of an HTML body. Each one's size is read from its header before MuPDF ever
 * decodes it: one over `maxPixels` (or whose size cannot be read) is refused, as an attached
 * image over the limit is, and shows as a placeholder saying so.
 */
async function inlineImages(attachments: Attachment[], maxPixels: number | undefined): Promise<InlineImage[]> {
  const out: InlineImage[] = [];
  for (const a of attachments) {
    if (!a.cid) continue;
    const image: InlineImage = { cid: a.cid, contentType: contentTypeOf(a.contentType, a.filename), content: a.content };
    if (maxPixels !== undefined && image.contentType.startsWith('image/')) {
      const pixels = await imagePixels(a.content, image.contentType);
      if (pixels === undefined) image.refused = 'image not faxed: its size could not be read';
      else if (pixels > maxPixels) image.refused = 'image not faxed: it has more pixels than the limit';
    }
    out.push(image);
  }
  return out;
}

/** A text attachment's bytes in its declared charset (Windows-1251, Shift_JIS, ...), UTF-8 by default. */
function decodeText(a: Attachment): string {
  const ct = a.headers.get('content-type') as { params?: Record<string, string> } | undefined;
  const charset = ct?.params?.charset ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(a.content);
  } catch {
    return new TextDecoder('utf-8').decode(a.content);
  }
}

function addresses(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}

/** A forwarded message as one HTML document: its headers in a box, then its body. */
export async function forwardedHtml(m: ParsedMail, preferHtml: boolean, maxImagePixels?: number): Promise<{ html: string; usedCids: Set<string> }> {
  const rows = [
    ['From', addresses(m.from)],
    ['To', addresses(m.to)],
    ['Cc', addresses(m.cc)],
    ['Date', m.date ? m.date.toUTCString() : ''],
    ['Subject', m.subject ?? ''],
  ]
    .filter(([, v]) => v)
    .map(([k, v]) => `<tr><td class="fgh">${k}:</td><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  const header = `<div class="fgfwd"><div class="fgt">Forwarded message</div><table>${rows}</table></div>`;
  const style = '<style>.fgfwd{border:1.5pt solid black;padding:4pt;margin-bottom:10pt;font-family:sans-serif;font-size:10pt}.fgt{font-weight:bold;font-size:12pt;margin-bottom:3pt}.fgh{font-weight:bold;padding-right:6pt;vertical-align:top}</style>';
  const text = (m.text ?? '').replace(/\s+$/, '');
  if (typeof m.html === 'string' && m.html.trim() && (preferHtml || !text.trim())) {
    const prepared = prepareMailHtml(m.html, await inlineImages(m.attachments, maxImagePixels));
    // MuPDF applies style sheets from the head only.
    const withStyle = prepared.html.replace(/<\/head\s*>/i, (h) => `${style}${h}`);
    const html = /<body\b[^>]*>/i.test(withStyle) ? withStyle.replace(/<body\b[^>]*>/i, (b) => `${b}${header}`) : `${header}${withStyle}`;
    return { html, usedCids: prepared.usedCids };
  }
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">${style}<style>body{margin:0.6in 0.5in}pre{white-space:pre-wrap;font-family:monospace;font-size:10pt}</style></head><body>${header}<pre>${escapeHtml(text)}</pre></body></html>`;
  return { html, usedCids: new Set() };
}
