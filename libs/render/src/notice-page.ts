import { escapeHtml } from './html-escape.ts';

/** A page that stands in for an attachment that could not be faxed, saying which and why. */
export function noticePageHtml(label: string, reason: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 1in 0.8in; font-family: sans-serif; font-size: 14pt; }
h2 { font-size: 20pt; border: 2pt solid black; padding: 8pt; }
</style></head><body><h2>Attachment not faxed</h2>
<p><b>${escapeHtml(label)}</b></p><p>${escapeHtml(reason)}</p>
<p>The sender has been told in the result mail.</p></body></html>`;
}
