import { readFileSync } from 'node:fs';
import { escapeHtml } from './html-escape.ts';

/** What a cover page can show. Every value is escaped before it goes into the template. */
export interface CoverFields {
  recipientName?: string;
  recipientCompany?: string;
  recipientNumber: string;
  senderName?: string;
  /** The sender's mail address. */
  senderAddress: string;
  senderCompany?: string;
  /** Postal address from the sender directory. */
  senderPostal?: string;
  senderPhone?: string;
  senderFax?: string;
  subject?: string;
  date: Date;
  /** Pages including the cover. */
  pageCount: number;
  message?: string;
  timeZone?: string;
  /** Confidentiality notice at the foot of the cover (FAXGATE_COVER_NOTICE); empty for none. */
  notice?: string;
}

/**
 * The built-in confidentiality notice, in the words business fax covers have used for decades
 * (RightFax's and HylaFAX's stock covers carry one like it).
 */
export const DEFAULT_COVER_NOTICE =
  'CONFIDENTIALITY NOTICE: This facsimile may contain confidential or privileged information intended only for the recipient named above. If you are not the intended recipient, please notify the sender immediately by telephone and destroy the pages; any disclosure, copying or distribution of them is prohibited.';

/** The built-in cover template (templates/cover-default.html). */
export const DEFAULT_COVER_TEMPLATE = readFileSync(new URL('../templates/cover-default.html', import.meta.url), 'utf8');

/** The template variables, by the names templates use: {{to_name}}, {{#subject}}…{{/subject}}. */
export function coverVariables(f: CoverFields): Record<string, string> {
  return {
    to_name: f.recipientName ?? '',
    to_company: f.recipientCompany ?? '',
    to_number: f.recipientNumber,
    from_name: f.senderName || f.senderAddress,
    from_email: f.senderAddress,
    // The address under the name only when there is a name: a sender without a display name
    // would otherwise read "alice@example.com / alice@example.com".
    from_email_under_name: f.senderName && f.senderName !== f.senderAddress ? f.senderAddress : '',
    from_company: f.senderCompany ?? '',
    from_address: f.senderPostal ?? '',
    from_phone: f.senderPhone ?? '',
    from_fax: f.senderFax ?? '',
    subject: f.subject ?? '',
    message: f.message?.trim() ?? '',
    date: f.date.toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: f.timeZone ?? 'UTC' }),
    pages: String(f.pageCount),
    notice: f.notice?.trim() ?? '',
  };
}

/**
 * Fills a cover template: `{{name}}` is the escaped value, `{{#name}}…{{/name}}` keeps its
 * content only when the value is not empty, `{{^name}}…{{/name}}` only when it is. Unknown
 * names are empty, so a template written for a newer version still renders.
 */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  const sections = template.replace(/\{\{([#^])([a-z_]+)\}\}([\s\S]*?)\{\{\/\2\}\}/g, (_m, kind: string, name: string, inner: string) => {
    const present = (vars[name] ?? '') !== '';
    return (kind === '#') === present ? inner : '';
  });
  return sections.replace(/\{\{([a-z_]+)\}\}/g, (_m, name: string) => escapeHtml(vars[name] ?? ''));
}

/** The cover page as HTML, from a template (the built-in one by default). */
export function coverPageHtml(f: CoverFields, template: string = DEFAULT_COVER_TEMPLATE): string {
  return fillTemplate(template, coverVariables(f));
}
