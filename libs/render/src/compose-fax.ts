import type { FaxPage } from '@faxgate/fax-image';
import { chooseCover, resolveCoverTemplate, type CoverChoice } from './cover-select.ts';
import { loadDirectory, lookupRecipient, lookupSender, type DirectoryEntry, type SenderDirectory } from './sender-directory.ts';
import { readMailContent, parseMail, type MailContent } from './mail-parts.ts';
import { defaultPaperFor, type PaperSize } from './page-geometry.ts';
import { addTaglines, renderCover, renderDocuments, DEFAULT_LIMITS, type RenderOptions, type RenderedDocument } from './render-fax.ts';
import { clipText, TEXT_LIMITS } from './layout-limits.ts';

/** Everything that decides how a mail becomes a fax. */
export interface ComposeSettings extends RenderOptions {
  /** multipart/alternative: fax the HTML side (true) or the text side. */
  preferHtml: boolean;
  /** Cover page unless the sender asks for none. */
  cover: boolean;
  coverKeyword: string;
  coverTemplateDir?: string;
  /** Stored templates by name (FAXGATE_COVER_TEMPLATES): they win over the directory's files. */
  coverTemplates?: Readonly<Record<string, string>>;
  senderDirectory?: string;
  /** TagLineFormat-style header line, or 'off'. */
  tagline: string;
  /**
   * The sending station's fax number (the pool's station id, the TSI its calls send): `%%n` of
   * the header line. Empty: the sender's own fax number from the directories, if any.
   */
  stationId: string;
  /** Time zone of the header line's and the cover's date (IANA name). */
  timeZone: string;
  /** Confidentiality notice on the cover; empty or `off` for none. */
  coverNotice?: string;
  /**
   * What the users directory (@faxgate/directory) knows about a sender by mail address: name,
   * phone and fax. The sender directory file's entry (`senderDirectory`) wins field by field.
   */
  senderDetails?: (address: string) => Promise<DirectoryEntry | undefined>;
  /** Paper chosen by the sender's country (directory entry) when set, else `paper`. */
  paperAuto?: boolean;
}

export interface FaxEnvelope {
  faxId: string;
  /** Envelope sender (the mail address). */
  sender: string;
  subject?: string;
  date: Date;
}

/** A message rendered once, ready to be put together for each recipient. */
export interface PreparedFax {
  envelope: FaxEnvelope;
  /**
   * The sender shown on the cover: the message's From: address (a local `sendmail -t` has the
   * web server's account as envelope sender, the person in From:), else the envelope sender.
   */
  from: string;
  content: MailContent;
  documents: RenderedDocument;
  cover: CoverChoice & { template?: string };
  sender: DirectoryEntry & { name?: string };
  directory: SenderDirectory;
  /** Sentences for the result mail: documents not faxed, a cover template not found. */
  notices: string[];
  /** The paper this fax is laid out on. */
  paper: PaperSize;
  /** The recipients' company the sender gave (`X-Fax-To-Company`, the API's `to_company`). */
  toCompany?: string;
}

/**
 * Renders a mail's documents once (the expensive part) and settles the cover: what the sender
 * asked for (`X-Fax-Cover`, subject keyword), which template, what the directory knows about
 * the sender. When there is no cover, a text body becomes document pages instead.
 */
export async function prepareFax(raw: Uint8Array, envelope: FaxEnvelope, s: ComposeSettings): Promise<PreparedFax> {
  const parsed = await parseMail(raw);
  const header = parsed.headers.get('x-fax-cover');
  const choice = chooseCover(typeof header === 'string' ? header : undefined, envelope.subject ?? parsed.subject, s.coverKeyword, s.cover);
  const content = await readMailContent(parsed, { preferHtml: s.preferHtml, coverMessage: !choice.skip, maxImagePixels: { ...DEFAULT_LIMITS, ...s.limits }.maxPixels });
  const directory = await loadDirectory(s.senderDirectory);
  const from = parsed.from?.value.find((a) => a.address)?.address || envelope.sender;
  const fromUsers = (await s.senderDetails?.(from)) ?? {};
  const sender: DirectoryEntry = { ...dropEmpty(fromUsers), ...dropEmpty(lookupSender(directory, from)) };
  const paper = s.paperAuto && sender.country ? defaultPaperFor(sender.country) : s.paper;
  // One page of the limit is kept for the cover.
  const documents = await renderDocuments(content, { ...s, paper }, choice.skip ? 0 : 1);
  const notices = [...documents.notices];
  let template: string | undefined;
  if (!choice.skip) {
    const t = await resolveCoverTemplate(s.coverTemplateDir, choice.name, from, s.coverTemplates);
    template = t.template;
    if (t.notice) notices.push(t.notice);
  }
  // The name the sender gave in From: is how they sign this message; the directories' name is
  // the fallback for a From: without one.
  sender.name = parsed.from?.value[0]?.name || sender.name;
  const company = parsed.headers.get('x-fax-to-company');
  const toCompany = typeof company === 'string' && company.trim() ? company.trim() : undefined;
  return { envelope, from, content, documents, cover: { ...choice, template }, sender, directory, notices, paper, ...(toCompany ? { toCompany } : {}) };
}

function dropEmpty(e: DirectoryEntry): DirectoryEntry {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined && v !== '')) as DirectoryEntry;
}

/** A notice setting that means "none". */
const noNotice = (n: string | undefined) => n === undefined || n.trim() === '' || n.trim().toLowerCase() === 'off';

/**
 * One recipient's pages: their cover, the documents, and the header line on each page. Every
 * text from the mail or the directory is cut to a sane length before it is laid out, and the
 * cover gets what the page limit leaves after the documents.
 */
export async function recipientPages(prep: PreparedFax, recipient: { name?: string; number: string }, settings: ComposeSettings): Promise<FaxPage[]> {
  const s = { ...settings, paper: prep.paper };
  const known = lookupRecipient(prep.directory, recipient.number);
  const maxPages = { ...DEFAULT_LIMITS, ...s.limits }.maxPages;
  const L = TEXT_LIMITS;
  const cover = prep.cover.skip
    ? []
    : await renderCover(
        {
          recipientName: clipText(recipient.name || known.name, L.name),
          // What the sender wrote for this fax wins over the directory's entry for the number.
          recipientCompany: clipText(prep.toCompany || known.company, L.name),
          recipientNumber: clipText(recipient.number, L.number),
          senderName: clipText(prep.sender.name, L.name),
          senderAddress: clipText(prep.from, L.address),
          senderCompany: clipText(prep.sender.company, L.name),
          senderPostal: clipText(prep.sender.address, L.postal),
          senderPhone: clipText(prep.sender.phone, L.number),
          senderFax: clipText(prep.sender.fax, L.number),
          subject: clipText(prep.cover.subject, L.subject),
          date: prep.envelope.date,
          message: prep.content.bodyText,
          timeZone: s.timeZone,
          notice: noNotice(s.coverNotice) ? undefined : clipText(s.coverNotice, L.notice),
        },
        prep.documents.pages.length,
        s,
        prep.cover.template,
        maxPages - prep.documents.pages.length,
      );
  const pages = [...cover, ...prep.documents.pages];
  if (s.tagline.trim() === '' || s.tagline.trim().toLowerCase() === 'off') return pages;
  return addTaglines(
    pages,
    s.tagline,
    {
      date: prep.envelope.date,
      timeZone: s.timeZone,
      senderName: clipText(prep.sender.name ?? prep.from, L.name),
      senderFax: clipText(s.stationId || prep.sender.fax || '', L.number),
      recipientNumber: clipText(recipient.number, L.number),
      faxId: prep.envelope.faxId,
    },
    s,
  );
}
