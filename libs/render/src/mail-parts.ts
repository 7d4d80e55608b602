import { simpleParser, type ParsedMail } from 'mailparser';

/** One thing in a mail that becomes fax pages. */
export type FaxablePart =
  | { kind: 'document'; label: string; mimeType: string; data: Uint8Array }
  | { kind: 'notice'; label: string; reason: string };

export interface MailContent {
  parsed: ParsedMail;
  /** The body text that goes on the cover page as the message. */
  bodyText: string;
  parts: FaxablePart[];
}

/** Types the engine renders as they are. Anything else becomes a notice page. */
const RENDERABLE: Record<string, string> = {
  'application/pdf': 'application/pdf',
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/gif': 'image/gif',
  'image/bmp': 'image/bmp',
  'image/tiff': 'image/tiff',
  'image/svg+xml': 'image/svg+xml',
  'application/xps': 'application/xps',
  'application/oxps': 'application/oxps',
  'application/epub+zip': 'application/epub+zip',
  'text/plain': 'text/plain',
};

const BY_EXTENSION: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', svg: 'image/svg+xml', txt: 'text/plain', xps: 'application/xps', epub: 'application/epub+zip' };

/**
 * Splits a mail into what is faxed: the text body (as the cover message) and each attachment
 * as a document, or a notice when it cannot be faxed. Nothing is dropped silently.
 */
export async function readMailContent(raw: Uint8Array): Promise<MailContent> {
  const parsed = await simpleParser(Buffer.from(raw), { skipImageLinks: true });
  const bodyText = (parsed.text ?? '').trim();
  const parts: FaxablePart[] = [];
  for (const a of parsed.attachments) {
    // Inline images of an HTML body belong to the body, not to the fax pages of their own.
    if (a.related) continue;
    const label = a.filename ?? `attachment (${a.contentType})`;
    const ext = (a.filename ?? '').toLowerCase().split('.').pop() ?? '';
    const mime = RENDERABLE[a.contentType.toLowerCase()] ?? (a.contentType === 'application/octet-stream' ? BY_EXTENSION[ext] : undefined);
    if (!mime) {
      parts.push({ kind: 'notice', label, reason: `${label} (${a.contentType}) cannot be faxed: this kind of attachment is not supported` });
      continue;
    }
    parts.push({ kind: 'document', label, mimeType: mime, data: a.content });
  }
  return { parsed, bodyText, parts };
}
