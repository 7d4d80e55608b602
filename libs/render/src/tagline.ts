import { createBitmap, type FaxPage } from '@faxgate/fax-image';
import type { RenderEngine } from './mupdf-engine.ts';
import { toBilevel } from './bilevel.ts';

/** What a header line can say about the page it is on. */
export interface TaglineFields {
  date: Date;
  timeZone: string;
  senderName: string;
  /** The sending station's fax number (HylaFAX %%n: the local identifier). */
  senderFax: string;
  recipientNumber: string;
  faxId: string;
  page: number;
  pages: number;
}

/** HylaFAX's default TagLineFormat, with faxgate's sender name in the middle. */
export const DEFAULT_TAGLINE = 'From %%n|%%s|%a %b %d %H:%M %Y|Page %%P of %%T';

/**
 * Expands a HylaFAX TagLineFormat-style string: `%x` are strftime(3) conversions in the given
 * time zone (a b d e H I M m p S y Y Z j %), `%%x` are fax fields (n sender fax number, s
 * sender name, r recipient number, j job/fax id, P page, T pages), and `|` separates fields
 * spread evenly across the line. Returns the fields.
 */
export function formatTagline(format: string, f: TaglineFields): string[] {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: f.timeZone, weekday: 'short', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', year: 'numeric', hour12: false, timeZoneName: 'short' })
      .formatToParts(f.date)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const month = new Intl.DateTimeFormat('en-US', { timeZone: f.timeZone, month: '2-digit' }).format(f.date);
  const hour = parts.hour === '24' ? '00' : parts.hour;
  const h12 = ((Number(hour) + 11) % 12) + 1;
  const strf: Record<string, string> = {
    a: parts.weekday, b: parts.month, d: parts.day, e: String(Number(parts.day)).padStart(2, ' '), H: hour, I: String(h12).padStart(2, '0'),
    M: parts.minute, m: month, p: Number(hour) < 12 ? 'AM' : 'PM', S: parts.second, y: parts.year.slice(-2), Y: parts.year, Z: parts.timeZoneName, '%': '%',
  };
  const fax: Record<string, string> = { n: f.senderFax, s: f.senderName, r: f.recipientNumber, j: f.faxId, P: String(f.page), T: String(f.pages) };
  const line = format.replace(/%%([A-Za-z])|%([A-Za-z%])/g, (m, faxKey: string | undefined, timeKey: string | undefined) => (faxKey ? (fax[faxKey] ?? '') : (strf[timeKey!] ?? m)));
  return line.split('|').map((s) => s.trim());
}

/** Type size of the header line, HylaFAX's tag line font is about this size. */
const TAG_PT = 8;

/**
 * Puts the header line over the top of a page, as a fax machine does: the band is cleared and
 * the fields drawn left, spread and right. The page keeps its size and resolution.
 */
export function stampTagline(page: FaxPage, fields: string[], engine: RenderEngine): FaxPage {
  const band = toBilevel(engine.renderTextLine(fields, TAG_PT, page.yDpi));
  const { bitmap } = page;
  const out = createBitmap(bitmap.width, bitmap.height);
  out.data.set(bitmap.data.subarray(0, out.data.length));
  const rows = Math.min(band.height, bitmap.height);
  const bytes = Math.min(out.stride, band.stride);
  for (let y = 0; y < rows; y++) {
    out.data.fill(0, y * out.stride, (y + 1) * out.stride);
    out.data.set(band.data.subarray(y * band.stride, y * band.stride + bytes), y * out.stride);
  }
  // The rows below the band are the document page's own, the same for every recipient: the
  // TIFF writer codes them once per document page.
  return { ...page, bitmap: out, base: { bitmap: page.base?.bitmap ?? bitmap, fromRow: rows } };
}
