import type { FaxView } from '@faxgate/store';
import type { MailMessage } from '@faxgate/mail';
import { buildDeliveryReport } from './delivery-report.ts';
import { perMessageFields, perRecipientFields } from './report-fields.ts';
import { mailDomain } from './delivered-mails.ts';

export interface DelayNoticeInput {
  fax: FaxView;
  /** Unfinished recipients that asked for NOTIFY=DELAY. */
  delayed: number[];
  from: string;
  plain?: boolean;
  reportingMta?: string;
  /** How long the fax had been waiting when the notice was due (FAXGATE_NOTIFY_DELAY_WARNING). */
  afterMs: number;
}

/**
 * The "still trying" notice (RFC 3464 §2.3.3 Action: delayed), what Postfix sends after
 * delay_warning_time: the fax has not gone yet to these recipients, nothing needs doing, a
 * final report follows. Sent once per fax.
 */
export async function composeDelayNotice(input: DelayNoticeInput): Promise<MailMessage> {
  const { fax, from, plain } = input;
  const rs = fax.recipients.filter((r) => input.delayed.includes(r.index));
  const hours = Math.round((input.afterMs / 3_600_000) * 10) / 10;
  const lines = [
    `${plain ? 'A fax from this address' : 'Your fax'} has not been delivered yet to ${rs.length === 1 ? 'this recipient' : `these ${rs.length} recipients`} after ${hours} hour(s).`,
    'The gateway is still trying; you do not need to send it again. You will get a final report.',
    '',
    ...rs.map((r) => `  ${r.number}${!plain && r.name ? ` (${r.name})` : ''}: ${r.attempts} call(s) so far${r.nextAttemptAt ? `, next at ${r.nextAttemptAt}` : ''}${!plain && r.reason ? `; last: ${r.reason}` : ''}`),
    '',
    ...(!plain && fax.subject ? [`  Subject:    ${fax.subject}`] : []),
    `  Submitted:  ${fax.createdAt}`,
    `  Fax id:     ${fax.id}`,
  ];
  const domain = mailDomain(from);
  return buildDeliveryReport({
    from,
    to: fax.sender,
    subject: `Fax ${plain ? '' : `to ${rs.map((r) => r.number).slice(0, 3).join(', ')}${rs.length > 3 ? ', ...' : ''} `}delayed: still trying`,
    messageId: `<delayed-${fax.id}@${domain}>`,
    inReplyTo: plain ? undefined : fax.messageId,
    headers: { 'X-Faxgate-Fax-Id': fax.id, 'X-Faxgate-Result': 'delayed', 'Auto-Submitted': 'auto-replied' },
    text: `${lines.join('\n')}\n`,
    perMessage: perMessageFields(fax, input.reportingMta ?? 'localhost'),
    recipients: rs.map((r) => perRecipientFields(fax, r, { plain })),
  });
}
