import type { FaxView } from '@faxgate/store';
import type { MailMessage } from '@faxgate/mail';
import { ERROR_CODES, describeError, type ErrorCode } from '@faxgate/errors';
import { buildDeliveryReport, type DeliveryReport } from './delivery-report.ts';
import { perMessageFields, perRecipientFields } from './report-fields.ts';
import { mailDomain } from './delivered-mails.ts';

export interface ResultMailInput {
  fax: FaxView;
  recipient: number;
  from: string;
  pdf?: Uint8Array;
  /**
   * A plain notice for a sender ingest could not verify: the result and the number, nothing
   * the message's author wrote (subject, display names, file names) and no copy of the fax,
   * so a forged sender address cannot turn the gateway into a mailer of someone else's page.
   */
  plain?: boolean;
  /** Reporting-MTA of the DSN (RFC 3464 §2.2.2). */
  reportingMta?: string;
  /** What RET asked to be returned (RFC 3461 §4.3), already read; never for a plain notice. */
  returned?: DeliveryReport['returned'];
}

/**
 * The result mail for one recipient of a fax, an RFC 3464 delivery status notification: the
 * human part says success or failure in plain words, with the numbers a sender asks about
 * (pages, duration, attempts, remote station) and, for a failure, the sentence saying why;
 * the machine part carries the same outcome for mail clients and MTAs.
 */
export async function composeResultMail(input: ResultMailInput): Promise<MailMessage> {
  const body = composeResultMailBody(input);
  const r = input.fax.recipients.find((x) => x.index === input.recipient)!;
  const pdf = body.attachments?.[0];
  return buildDeliveryReport({
    from: input.from,
    to: input.fax.sender,
    subject: String(body.subject),
    messageId: resultMessageId(input),
    inReplyTo: body.inReplyTo as string | undefined,
    headers: body.headers as Record<string, string>,
    text: String(body.text),
    pdf: pdf ? { filename: String(pdf.filename), content: pdf.content as Buffer } : undefined,
    perMessage: perMessageFields(input.fax, input.reportingMta ?? 'localhost'),
    recipients: [perRecipientFields(input.fax, r, { plain: input.plain })],
    returned: input.plain ? undefined : input.returned,
  });
}

/**
 * One Message-ID per outcome (fax, recipient, the attempt that ended it): SMTP delivery is at
 * least once, and a notifier killed between the smarthost's 250 and recording it sends the
 * same mail again on its retry; with the same Message-ID it is the same message, which mail
 * stores and clients show once. An outcome reached again after a Retry is a new message.
 */
export function resultMessageId({ fax, recipient, from }: ResultMailInput): string {
  const r = fax.recipients.find((x) => x.index === recipient);
  const domain = mailDomain(from);
  return `<result-${fax.id}-r${recipient}-a${r?.attempts ?? 0}@${domain}>`;
}

function composeResultMailBody({ fax, recipient, from, pdf, plain }: ResultMailInput): MailMessage {
  const r = fax.recipients.find((x) => x.index === recipient);
  if (!r) throw new Error(`fax ${fax.id} has no recipient ${recipient}`);
  if (plain) return composePlainNotice(fax, r, from);
  const ok = r.state === 'sent';
  const who = r.name ? `${r.name} (${r.number})` : r.number;
  const total = r.pagesTotal ?? 0;
  const subject = ok ? `Fax to ${who} sent: ${total} page${total === 1 ? '' : 's'}` : `Fax to ${who} FAILED: ${firstSentence(r.reason ?? fax.error?.text ?? 'unknown reason')}`;
  const lines: string[] = [];
  lines.push(ok ? `Your fax to ${who} was sent.` : `Your fax to ${who} could not be sent.`);
  if (!ok) lines.push('', `Reason: ${r.reason ?? fax.error?.text ?? 'unknown'}`);
  lines.push('');
  const row = (k: string, v: string | number | undefined) => v !== undefined && v !== '' && lines.push(`  ${`${k}:`.padEnd(12)} ${v}`);
  row('Recipient', r.name ? `${r.name} <${r.address}>` : r.address);
  row('Fax number', r.dialString !== r.number.replace(/^\+/, '') ? `${r.number} (dialled ${r.dialString})` : r.number);
  row('Subject', fax.subject);
  row('Pages', `${r.pagesSent} of ${total} sent`);
  row('Duration', formatDuration(r.durationMs));
  row('Attempts', `${r.attempts}${r.connectedAttempts ? ` (${r.connectedAttempts} reached the fax machine)` : ''}`);
  row('Remote id', r.remoteId);
  row('Submitted', fax.createdAt);
  row('Finished', r.finishedAt);
  row('Fax id', fax.id);
  if (fax.notices?.length) {
    lines.push('', 'Not faxed (a notice page stands in for each):');
    for (const n of fax.notices) lines.push(`  - ${n}`);
  }
  if (r.attemptsDetail.length) {
    lines.push('', 'Calls:');
    for (const a of r.attemptsDetail) {
      const pages = a.pagesSent ? `, ${a.pagesSent} page(s) from page ${a.fromPage}` : '';
      // A batched call (issue 14) carried other faxes to the number too; whose is not this sender's business.
      const batched = a.batchedIn ? ', in one call with other faxes to the number' : '';
      lines.push(`  ${a.attempt}. ${a.startedAt} ${a.result ?? 'unfinished'}${pages}${a.durationMs ? `, ${formatDuration(a.durationMs)}` : ''}${batched}`);
    }
  }
  if (pdf) lines.push('', 'A copy of what was faxed is attached as a PDF.');
  return {
    from,
    to: fax.sender,
    subject,
    text: `${lines.join('\n')}\n`,
    ...(fax.messageId ? { inReplyTo: fax.messageId, references: fax.messageId } : {}),
    headers: { 'X-Faxgate-Fax-Id': fax.id, 'X-Faxgate-Result': ok ? 'sent' : 'failed', 'Auto-Submitted': 'auto-replied' },
    attachments: pdf ? [{ filename: `fax-${fax.id}-r${recipient}.pdf`, content: Buffer.from(pdf), contentType: 'application/pdf' }] : [],
  };
}

function composePlainNotice(fax: FaxView, r: FaxView['recipients'][number], from: string): MailMessage {
  const ok = r.state === 'sent';
  const lines = [
    ok ? `A fax to ${r.number} was sent from this address.` : `A fax to ${r.number} from this address could not be sent.`,
    '',
    `  Result:     ${ok ? 'sent' : `failed${r.errorCode && r.errorCode in ERROR_CODES ? `: ${describeError(r.errorCode as ErrorCode)}` : ''}`}`,
    `  Pages:      ${r.pagesSent} of ${r.pagesTotal ?? 0} sent`,
    `  Submitted:  ${fax.createdAt}`,
    `  Fax id:     ${fax.id}`,
    '',
    'This is a plain notice: the sender of the fax could not be verified, so it carries no copy',
    'of the fax and nothing written in the message. If you did not send a fax, ignore it.',
  ];
  return {
    from,
    to: fax.sender,
    subject: `Fax to ${r.number} ${ok ? 'sent' : 'FAILED'}`,
    text: `${lines.join('\n')}\n`,
    headers: { 'X-Faxgate-Fax-Id': fax.id, 'X-Faxgate-Result': ok ? 'sent' : 'failed', 'Auto-Submitted': 'auto-replied' },
    attachments: [],
  };
}

function firstSentence(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
