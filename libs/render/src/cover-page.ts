import { escapeHtml } from './html-escape.ts';

export interface CoverFields {
  recipientName?: string;
  recipientNumber: string;
  senderName?: string;
  senderAddress: string;
  subject?: string;
  date: Date;
  /** Pages including the cover. */
  pageCount: number;
  message?: string;
  timeZone?: string;
}

/** The default cover page: who to, who from, what about, how many pages, and the message. */
export function coverPageHtml(f: CoverFields): string {
  const date = f.date.toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: f.timeZone ?? 'UTC' });
  const row = (label: string, value: string | undefined) => (value ? `<tr><td class="l">${label}</td><td>${escapeHtml(value)}</td></tr>` : '');
  const message = f.message?.trim() ? `<div class="msg">${escapeHtml(f.message.trim())}</div>` : '';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0.6in 0.6in; font-family: sans-serif; font-size: 12pt; }
h1 { font-size: 34pt; margin: 0 0 10pt 0; border-bottom: 3pt solid black; padding-bottom: 6pt; }
table { border-collapse: collapse; width: 100%; margin-bottom: 14pt; }
td { padding: 5pt 4pt; vertical-align: top; border-bottom: 1.5pt solid black; font-size: 13pt; }
td.l { width: 1.4in; font-weight: bold; }
.msg { white-space: pre-wrap; font-size: 12pt; margin-top: 10pt; }
</style></head><body>
<h1>FAX</h1>
<table>
${row('To', f.recipientName)}
${row('Fax number', f.recipientNumber)}
${row('From', f.senderName ? `${f.senderName} <${f.senderAddress}>` : f.senderAddress)}
${row('Subject', f.subject)}
${row('Date', date)}
${row('Pages', `${f.pageCount} including this page`)}
</table>
${message}
</body></html>`;
}
