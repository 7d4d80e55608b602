/**
 * How long the texts we lay out ourselves may be. Names, subjects and file names come from the
 * mail, so from anyone: an 800 kB attachment name froze a gateway in layout, and an 800 kB
 * subject made 303 cover pages. They are cut before layout to lengths no real one reaches.
 */
export const TEXT_LIMITS = {
  /** RFC 5322 §2.1.1 keeps a header line to 998 characters; a readable subject is far shorter. */
  subject: 200,
  /** Display names, companies, file names in notices. */
  name: 100,
  /** A postal address from the sender directory (several lines). */
  postal: 300,
  /** Phone and fax numbers. */
  number: 40,
  /** RFC 5321 §4.5.3.1.3: a path is at most 256 octets. */
  address: 256,
  /** The cover's confidentiality notice (operator's text): a paragraph, not a page. */
  notice: 1000,
} as const;

/** `s` cut to `max` characters (code points), with an ellipsis when it was longer. */
export function clipText(s: string, max: number): string;
export function clipText(s: string | undefined, max: number): string | undefined;
export function clipText(s: string | undefined, max: number): string | undefined {
  if (s === undefined) return undefined;
  if (s.length <= max) return s;
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** A file name cut in the middle, so its end (the extension) still shows. */
export function clipFileName(name: string, max: number = TEXT_LIMITS.name): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const tail = Math.min(30, Math.floor(max / 3));
  return `${chars.slice(0, max - tail - 1).join('')}…${chars.slice(chars.length - tail).join('')}`;
}
