import { escapeHtml } from './html-escape.ts';

/** An inline image of an HTML mail (multipart/related), addressed by Content-ID. */
export interface InlineImage {
  cid: string;
  contentType: string;
  content: Uint8Array;
  /** Why the image is not laid out (over the pixel limit): shown in its place. */
  refused?: string;
}

/** Images MuPDF's HTML layout decodes from a data: URI. */
const INLINE_OK = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp', 'image/svg+xml', 'image/tiff']);

/**
 * Makes a mail's HTML safe and self-contained for layout: `cid:` images become data: URIs,
 * remote images are never fetched (that would tell the sender's tracker the fax went out) and
 * leave a visible placeholder, scripts, external style sheets and CSS urls go. Returns the
 * HTML and the cids it used, so those images are not also faxed as attachments.
 */
export function prepareMailHtml(html: string, images: InlineImage[]): { html: string; usedCids: Set<string> } {
  const byCid = new Map(images.map((i) => [normaliseCid(i.cid), i]));
  const usedCids = new Set<string>();
  let out = html
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<link\b[^>]*>/gi, '')
    .replace(/<base\b[^>]*>/gi, '')
    // The text is already decoded; it is handed on as UTF-8, whatever the original declared.
    .replace(/<meta\b[^>]*charset[^>]*>/gi, '')
    .replace(/<(iframe|object|embed)\b[\s\S]*?(<\/\1\s*>|\/?>)/gi, '')
    // CSS url(...) in style sheets and style attributes: remote fetches and tracking pixels.
    .replace(/url\(\s*(['"]?)(?!data:)[^)'"]*\1\s*\)/gi, 'none');
  out = out.replace(/<img\b[^>]*>/gi, (tag) => {
    const src = attr(tag, 'src');
    if (src && /^cid:/i.test(src)) {
      const img = byCid.get(normaliseCid(src.slice(4)));
      if (img?.refused) {
        usedCids.add(normaliseCid(img.cid));
        return placeholder(attr(tag, 'alt'), img.refused);
      }
      if (img && INLINE_OK.has(img.contentType.toLowerCase())) {
        usedCids.add(normaliseCid(img.cid));
        return setAttr(tag, 'src', `data:${img.contentType.toLowerCase()};base64,${Buffer.from(img.content).toString('base64')}`);
      }
      return placeholder(attr(tag, 'alt'), 'inline image missing');
    }
    if (src && /^data:/i.test(src)) return tag;
    const host = src ? (/^(?:https?:)?\/\/([^/:?#]+)/i.exec(src)?.[1] ?? '') : '';
    return placeholder(attr(tag, 'alt'), host ? `image from ${host} not loaded` : 'image not loaded');
  });
  // Outlook sets pixel widths on tables and images wider than the page; the layout shrinks them.
  const style = '<style>body{margin:36pt 40pt}img{max-width:100%;height:auto} table{max-width:100%} table[border] td,table[border] th{border:0.75pt solid black;padding:1pt 3pt} .faxgate-remote{border:1pt dashed black;padding:1pt 3pt;font-size:8pt}</style>';
  out = /<head\b[^>]*>/i.test(out) ? out.replace(/<head\b[^>]*>/i, (h) => `${h}<meta charset="utf-8">${style}`) : `<!DOCTYPE html><html><head><meta charset="utf-8">${style}</head><body>${out}</body></html>`;
  return { html: out, usedCids };
}

function placeholder(alt: string | undefined, why: string): string {
  return `<span class="faxgate-remote">[${escapeHtml(alt ? `${alt}: ${why}` : why)}]</span>`;
}

function normaliseCid(cid: string): string {
  return decodeURIComponent(cid.trim().replace(/^<|>$/g, '')).toLowerCase();
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? (m[1] ?? m[2] ?? m[3]).replace(/&amp;/g, '&') : undefined;
}

function setAttr(tag: string, name: string, value: string): string {
  return tag.replace(new RegExp(`\\s${name}\\s*=\\s*(?:"[^"]*"|'[^']*'|[^\\s>]+)`, 'i'), ` ${name}="${value}"`);
}
