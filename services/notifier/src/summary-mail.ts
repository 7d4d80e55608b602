import type { FaxView } from '@faxgate/store';
import type { MailMessage } from '@faxgate/mail';
import { buildDeliveryReport, type DeliveryReport } from './delivery-report.ts';
import { perMessageFields, perRecipientFields } from './report-fields.ts';
import { formatDuration } from './result-mail.ts';
import { isEnded } from './dsn-status.ts';
import { mailDomain } from './delivered-mails.ts';

export interface SummaryMailInput {
  fax: FaxView;
  /** Recipients whose outcome the sender asked to be told (RFC 3461 NOTIFY, or the defaults). */
  reported: number[];
  from: string;
  /** Which outcome this summary reports (see summaryKey): part of its Message-ID. */
  key: string;
  plain?: boolean;
  reportingMta?: string;
  returned?: DeliveryReport['returned'];
  pdf?: { filename: string; content: Buffer };
}

/**
 * The key of a broadcast's outcome: the calls made to all its recipients. Every last recipient
 * that ends computes the same key, so their summary jobs are one job; a recipient opened again
 * (Retry) and ended once more makes a new outcome and a new summary.
 */
export function summaryKey(fax: Pick<FaxView, 'recipients'>): string {
  return `c${fax.recipients.reduce((n, r) => n + r.attempts, 0)}`;
}

/** Whether every recipient of the fax has ended (sent or failed). */
export function allEnded(fax: Pick<FaxView, 'recipients' | 'recipientCount'>): boolean {
  return fax.recipients.length >= fax.recipientCount && fax.recipients.every((r) => isEnded(r.state));
}

/**
 * The broadcast report (FaxPress and RightFax send one): a single mail when the last recipient
 * ends, listing every recipient's outcome in words and, in its message/delivery-status part,
 * one block per recipient the sender asked to hear about.
 */
export async function composeSummaryMail(input: SummaryMailInput): Promise<MailMessage> {
  const { fax, from, plain } = input;
  const sent = fax.recipients.filter((r) => r.state === 'sent');
  const failed = fax.recipients.filter((r) => r.state !== 'sent');
  const n = fax.recipients.length;
  const subject = `Fax broadcast to ${n} recipients: ${sent.length} sent${failed.length ? `, ${failed.length} FAILED` : ''}${!plain && fax.subject ? ` (${clip(fax.subject, 60)})` : ''}`;
  const lines: string[] = [
    plain ? `A fax broadcast from this address to ${n} recipients has ended.` : `Your fax to ${n} recipients has ended: ${sent.length} sent, ${failed.length} failed.`,
    '',
  ];
  for (const r of fax.recipients) {
    const who = !plain && r.name ? `${r.number} (${r.name})` : r.number;
    const what = r.state === 'sent' ? `sent, ${r.pagesSent} of ${r.pagesTotal ?? 0} pages` : `FAILED after ${r.attempts} call(s)${plain ? '' : `: ${r.reason ?? fax.error?.text ?? 'unknown reason'}`}`;
    lines.push(`  ${String(r.index + 1).padStart(3)}. ${who}: ${what}${!plain && r.remoteId ? ` [${r.remoteId}]` : ''}${r.durationMs ? `, ${formatDuration(r.durationMs)}` : ''}`);
  }
  lines.push('');
  if (!plain && fax.subject) lines.push(`  Subject:    ${fax.subject}`);
  lines.push(`  Submitted:  ${fax.createdAt}`, `  Fax id:     ${fax.id}`);
  if (!plain && fax.notices?.length) {
    lines.push('', 'Not faxed (a notice page stands in for each):');
    for (const x of fax.notices) lines.push(`  - ${x}`);
  }
  if (input.pdf) lines.push('', `A copy of what was faxed (to ${fax.recipients[0]?.number}) is attached as a PDF.`);
  if (plain) lines.push('', 'This is a plain notice: the sender of the fax could not be verified, so it carries no copy', 'of the fax and nothing written in the message. If you did not send a fax, ignore it.');
  const domain = mailDomain(from);
  return buildDeliveryReport({
    from,
    to: fax.sender,
    subject,
    messageId: `<summary-${fax.id}-${input.key}@${domain}>`,
    inReplyTo: plain ? undefined : fax.messageId,
    headers: { 'X-Faxgate-Fax-Id': fax.id, 'X-Faxgate-Result': failed.length ? (sent.length ? 'partial' : 'failed') : 'sent', 'X-Faxgate-Report': 'broadcast-summary', 'Auto-Submitted': 'auto-replied' },
    text: `${lines.join('\n')}\n`,
    pdf: plain ? undefined : input.pdf,
    perMessage: perMessageFields(fax, input.reportingMta ?? 'localhost'),
    recipients: fax.recipients.filter((r) => input.reported.includes(r.index)).map((r) => perRecipientFields(fax, r, { plain })),
    returned: plain ? undefined : input.returned,
  });
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
