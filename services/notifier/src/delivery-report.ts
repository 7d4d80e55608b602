import MimeNode from 'nodemailer/lib/mime-node/index.js';
import type { MailMessage } from '@faxgate/mail';
import type { DsnAction } from './dsn-status.ts';

/** RFC 3464 §2.2: the per-message fields of a delivery status notification. */
export interface ReportPerMessage {
  /** Reporting-MTA (§2.2.2): this gateway, as a DNS name. */
  reportingMta: string;
  /** Original-Envelope-Id (§2.2.1): the ENVID the client gave, echoed as given. */
  envid?: string;
  /** Arrival-Date (§2.2.5): when the message was accepted. */
  arrivalDate: Date;
}

/** RFC 3464 §2.3: the fields of one recipient. */
export interface ReportPerRecipient {
  /** Original-Recipient (§2.3.1): the ORCPT parameter, `type;address`; absent when none was given. */
  originalRecipient?: string;
  /** Final-Recipient (§2.3.2): `type; address`. */
  finalRecipient: string;
  action: DsnAction;
  status: string;
  /** Remote-MTA (§2.3.5): the far fax machine, by its station id (CSID). */
  remoteCsid?: string;
  /** Diagnostic-Code (§2.3.6): the reason in words. */
  diagnostic?: string;
  lastAttemptDate?: Date;
  /** Will-Retry-Until (§2.3.8), for a delayed recipient. */
  willRetryUntil?: Date;
}

export interface DeliveryReport {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  headers: Record<string, string>;
  /** The human-readable part (RFC 3462 §2 first part): the text, and the fax as a PDF when it may go. */
  text: string;
  pdf?: { filename: string; content: Buffer };
  perMessage: ReportPerMessage;
  recipients: ReportPerRecipient[];
  /** RFC 3461 §4.3 RET: FULL returns the message, HDRS its header section; absent returns nothing. */
  returned?: { kind: 'full' | 'headers'; content: Buffer };
}

/**
 * An RFC 3464 delivery status notification: `multipart/report; report-type=delivery-status`
 * (RFC 6522) with the human-readable part, the `message/delivery-status` part and the returned
 * content. It is sent with the null reverse-path (RFC 3461 §6.2, RFC 5321 §4.5.5), so that a
 * report that cannot be delivered is never reported on in turn.
 */
export async function buildDeliveryReport(r: DeliveryReport): Promise<MailMessage> {
  const root = new MimeNode('multipart/report; report-type=delivery-status', { newline: '\r\n' } as MimeNode.Options);
  root.setHeader({ From: r.from, To: r.to, Subject: r.subject, 'Message-ID': r.messageId, Date: new Date().toUTCString().replace('GMT', '+0000'), 'MIME-Version': '1.0', ...r.headers });
  if (r.inReplyTo) root.setHeader({ 'In-Reply-To': r.inReplyTo, References: r.inReplyTo });
  if (r.pdf) {
    const human = root.createChild('multipart/mixed');
    human.createChild('text/plain; charset=utf-8').setContent(r.text);
    human.createChild('application/pdf', { filename: r.pdf.filename } as MimeNode.Options).setHeader('Content-Disposition', 'attachment').setContent(r.pdf.content);
  } else {
    root.createChild('text/plain; charset=utf-8').setContent(r.text);
  }
  root.createChild('message/delivery-status').setHeader('Content-Transfer-Encoding', '7bit').setContent(deliveryStatusFields(r.perMessage, r.recipients));
  if (r.returned?.kind === 'full') root.createChild('message/rfc822').setHeader('Content-Transfer-Encoding', eightBit(r.returned.content) ? '8bit' : '7bit').setContent(r.returned.content);
  else if (r.returned?.kind === 'headers') root.createChild('text/rfc822-headers').setHeader('Content-Transfer-Encoding', eightBit(r.returned.content) ? '8bit' : '7bit').setContent(r.returned.content);
  const raw = await root.build();
  return { raw, envelope: { from: '', to: [r.to] }, messageId: r.messageId };
}

/** The body of the message/delivery-status part (RFC 3464 §2.1): per-message block, then one per recipient. */
export function deliveryStatusFields(m: ReportPerMessage, recipients: ReportPerRecipient[]): string {
  const block = (fields: Array<[string, string | undefined]>) => fields.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}: ${v}`).join('\r\n');
  const blocks = [
    block([
      ['Reporting-MTA', `dns; ${m.reportingMta}`],
      ['Original-Envelope-Id', m.envid === undefined ? undefined : printable(m.envid)],
      ['Arrival-Date', rfc5322Date(m.arrivalDate)],
    ]),
    ...recipients.map((r) =>
      block([
        ['Original-Recipient', r.originalRecipient === undefined ? undefined : printable(r.originalRecipient)],
        ['Final-Recipient', printable(r.finalRecipient)],
        ['Action', r.action],
        ['Status', r.status],
        ['Remote-MTA', r.remoteCsid ? `x-fax-csid; ${printable(r.remoteCsid)}` : undefined],
        ['Diagnostic-Code', r.diagnostic ? `x-fax; ${printable(r.diagnostic)}` : undefined],
        ['Last-Attempt-Date', r.lastAttemptDate ? rfc5322Date(r.lastAttemptDate) : undefined],
        ['Will-Retry-Until', r.willRetryUntil ? rfc5322Date(r.willRetryUntil) : undefined],
      ]),
    ),
  ];
  return `${blocks.join('\r\n\r\n')}\r\n`;
}

/** RFC 3464 §2.1.1: the fields are 7-bit text on one line each; anything else is replaced. */
function printable(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}

/** RFC 5322 §3.3 date-time, in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function eightBit(b: Buffer): boolean {
  return b.some((x) => x > 0x7f);
}
