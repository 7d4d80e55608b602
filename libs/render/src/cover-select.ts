import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_COVER_TEMPLATE } from './cover-page.ts';

/** Whether this fax gets a cover page, and which template, as the sender asked. */
export interface CoverChoice {
  skip: boolean;
  /** A template name the sender asked for (header or subject keyword). */
  name?: string;
  /** The subject with the keyword taken out, for the cover page. */
  subject?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Reads the sender's wish: the `X-Fax-Cover: none|<name>` header first, else a subject keyword
 * `<keyword>:none` or `<keyword>:<name>` (e.g. "Invoice 42 cover:none"), which is taken out of
 * the subject shown on the cover. `enabled` is the gateway default when the sender says nothing.
 */
export function chooseCover(header: string | undefined, subject: string | undefined, keyword: string, enabled: boolean): CoverChoice {
  let asked = header?.trim();
  let cleanSubject = subject;
  if (keyword && subject) {
    const re = new RegExp(`(?:^|\\s)\\[?${escapeRe(keyword)}:([A-Za-z0-9_-]+)\\]?(?=\\s|$)`, 'i');
    const m = re.exec(subject);
    if (m) {
      asked ??= m[1];
      cleanSubject = (subject.slice(0, m.index) + subject.slice(m.index + m[0].length)).replace(/\s{2,}/g, ' ').trim();
    }
  }
  if (asked) {
    const v = asked.toLowerCase();
    if (v === 'none' || v === 'no' || v === 'off') return { skip: true, subject: cleanSubject };
    if (v === 'yes' || v === 'default' || v === 'on') return { skip: false, subject: cleanSubject };
    if (NAME.test(asked)) return { skip: false, name: asked, subject: cleanSubject };
  }
  return { skip: !enabled, subject: cleanSubject };
}

/**
 * Finds the cover template: the one asked for by name, else the sender's
 * (`senders/<address>`), else the sender's domain's (`domains/<domain>`), else `default`, else
 * the built-in one. Each name is looked up in the stored templates (the FAXGATE_COVER_TEMPLATES
 * runtime setting) first, then as `<dir>/<name>.html`: the directory gives the templates of a
 * fresh install, and a template edited while the gateway runs wins over its file.
 * A named template that does not exist falls back too, with a notice sentence.
 */
export async function resolveCoverTemplate(dir: string | undefined, name: string | undefined, sender: string, stored: Readonly<Record<string, string>> = {}): Promise<{ template: string; notice?: string }> {
  const address = sender.toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const candidates = [...(name ? [name] : []), ...(/^[^/\\\0]+$/.test(address) ? [`senders/${address}`] : []), ...(/^[a-z0-9.-]+$/.test(domain) ? [`domains/${domain}`] : []), 'default'];
  for (const [i, key] of candidates.entries()) {
    const template = Object.hasOwn(stored, key) ? stored[key] : dir ? await readFile(join(dir, `${key}.html`), 'utf8').catch(() => undefined) : undefined;
    if (template === undefined) continue;
    const notice = name && i > 0 ? `The cover page "${name}" you asked for does not exist; another cover page was used.` : undefined;
    return { template, notice };
  }
  return { template: DEFAULT_COVER_TEMPLATE, notice: name ? `The cover page "${name}" you asked for does not exist; the default cover page was used.` : undefined };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
