// Cover templates as a runtime setting (issue 20): name → HTML, stored with the other settings in
// Redis and shared by every render process and pod. FAXGATE_COVER_TEMPLATE_DIR still gives the
// templates of a fresh install; a stored template of the same name wins over the file.
import { z } from '@faxgate/config';
import { coverVariables } from './cover-page.ts';

/** One template: a cover is one page of text, and every render process holds them all. */
export const COVER_TEMPLATE_MAX_BYTES = 64 * 1024;
/** All of them: the setting travels in one Redis value to every process on every change. */
export const COVER_TEMPLATES_MAX_BYTES = 512 * 1024;

/**
 * The names a template is found by, as in the template directory without `.html`: `<name>` (asked
 * for by `X-Fax-Cover` or the subject keyword), `senders/<address>`, `domains/<domain>`, `default`.
 */
const TEMPLATE_NAME = /^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,63}|senders\/[^/\\\0\s]+@[a-z0-9.-]+|domains\/[a-z0-9.-]+)$/;

const FIELDS = new Set(Object.keys(coverVariables({ recipientNumber: '', senderAddress: '', date: new Date(0), pageCount: 1 })));

// Everything in HTML that would make the layout engine fetch from elsewhere, or run something:
// a cover is sent to strangers, and its layout must not depend on (or tell) another server.
const FETCHING_ELEMENTS = /<\s*(script|link|iframe|frame|object|embed|base|meta\s[^>]*http-equiv)\b/i;
const FETCHING_ATTRIBUTE = /\s(src|srcset|background|poster|data|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
const CSS_URL = /url\(\s*(['"]?)([^)'"]*)\1\s*\)|@import\b/gi;

/** Why a template cannot be stored, or undefined. `name` as it would be looked up. */
export function coverTemplateProblem(name: string, html: string): string | undefined {
  if (!TEMPLATE_NAME.test(name)) return `"${name}" is not a template name (a name of letters, digits, _ and -; senders/<address>; domains/<domain>; default)`;
  const bytes = Buffer.byteLength(html);
  if (bytes > COVER_TEMPLATE_MAX_BYTES) return `template "${name}" is ${bytes} bytes; at most ${COVER_TEMPLATE_MAX_BYTES}`;
  if (!/<[a-z][^>]*>/i.test(html)) return `template "${name}" is not HTML (no element in it)`;
  const element = FETCHING_ELEMENTS.exec(html);
  if (element) return `template "${name}" has a <${element[1].split(/\s/)[0].toLowerCase()}> element; covers are laid out without fetching or running anything`;
  for (const m of html.matchAll(FETCHING_ATTRIBUTE)) {
    const value = (m[2] ?? m[3] ?? m[4]).trim();
    if (!/^data:/i.test(value)) return `template "${name}" loads ${m[1].toLowerCase()}="${value.slice(0, 80)}"; only data: URIs can be used (images are embedded, never fetched)`;
  }
  for (const m of html.matchAll(CSS_URL)) {
    if (m[0].startsWith('@')) return `template "${name}" has a CSS @import; covers are laid out without fetching anything`;
    if (!/^data:/i.test(m[2].trim())) return `template "${name}" has CSS url(${m[2].slice(0, 80)}); only data: URIs can be used`;
  }
  return templateSyntaxProblem(name, html);
}

/** The {{field}} syntax of fillTemplate: known fields, and each section closed in order. */
function templateSyntaxProblem(name: string, html: string): string | undefined {
  const open: string[] = [];
  for (const m of html.matchAll(/\{\{\s*([#^/]?)\s*([^}]*?)\s*\}\}/g)) {
    const [, kind, field] = m;
    if (!FIELDS.has(field)) return `template "${name}" uses {{${kind}${field}}}, which is not a cover field (${[...FIELDS].join(', ')})`;
    if (kind === '#' || kind === '^') open.push(field);
    else if (kind === '/') {
      const last = open.pop();
      if (last !== field) return `template "${name}" closes {{/${field}}} ${last ? `where {{/${last}}} is due` : 'that was never opened'}`;
    }
  }
  if (open.length) return `template "${name}" never closes {{#${open.at(-1)}}} (add {{/${open.at(-1)}}})`;
  return undefined;
}

/** Every problem of a set of templates, the whole setting's size included. */
export function coverTemplatesProblems(templates: Record<string, unknown>): string[] {
  const problems: string[] = [];
  let total = 0;
  for (const [name, html] of Object.entries(templates)) {
    if (typeof html !== 'string') {
      problems.push(`template "${name}" must be HTML text`);
      continue;
    }
    total += Buffer.byteLength(html);
    const p = coverTemplateProblem(name, html);
    if (p) problems.push(p);
  }
  if (total > COVER_TEMPLATES_MAX_BYTES) problems.push(`the templates are ${total} bytes together; at most ${COVER_TEMPLATES_MAX_BYTES}`);
  return problems;
}

/** The setting's field: a JSON object of name → HTML, checked as above. */
export function coverTemplatesField() {
  return z
    .string()
    .default('{}')
    .transform((text, ctx): Record<string, string> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text === '' ? '{}' : text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        ctx.addIssue({ code: 'custom', message: 'a JSON object of template name → HTML' });
        return z.NEVER;
      }
      for (const p of coverTemplatesProblems(parsed as Record<string, unknown>)) ctx.addIssue({ code: 'custom', message: p });
      return parsed as Record<string, string>;
    });
}
