/**
 * Every failure faxgate reports, with the one sentence that ends up in the SMTP reply, the
 * result mail and the log. Codes are stable identifiers: they are stored in fax records.
 */
export const ERROR_CODES = {
  // ingest (SMTP)
  RCPT_FOREIGN_DOMAIN: { smtp: [550, '5.7.1'], text: 'this gateway only accepts mail for its fax domains, and relaying is not allowed' },
  RCPT_BAD_NUMBER: { smtp: [553, '5.1.3'], text: 'the recipient is not a fax number that can be dialled' },
  RCPT_NUMBER_DENIED: { smtp: [550, '5.7.1'], text: 'faxes to this number are not allowed by the dialling rules' },
  RCPT_TOO_MANY: { smtp: [452, '4.5.3'], text: 'too many recipients in one message' },
  SENDER_DENIED: { smtp: [550, '5.7.1'], text: 'this sender is not allowed to send faxes' },
  // RFC 5321 §4.5.3.1.10: a 452 to RCPT makes the client send those recipients again, separately.
  RCPT_POSTMASTER_SEPARATE: { smtp: [452, '4.5.3'], text: 'mail to postmaster and faxes go in separate transactions; send this recipient again on its own' },
  CLIENT_DENIED: { smtp: [550, '5.7.1'], text: 'your network is not allowed to send faxes through this gateway' },
  AUTH_REQUIRED: { smtp: [530, '5.7.0'], text: 'authentication is required to send faxes' },
  MESSAGE_TOO_BIG: { smtp: [552, '5.3.4'], text: 'the message is larger than the gateway accepts' },
  MESSAGE_UNPARSABLE: { smtp: [554, '5.6.0'], text: 'the message cannot be read: its header section is damaged or too large' },
  SMTP_TOO_MANY_CONNECTIONS: { smtp: [421, '4.7.0'], text: 'too many connections from your address; try again later' },
  SMTP_DATA_TIMEOUT: { smtp: [421, '4.4.2'], text: 'the message took too long to arrive; closing the connection' },
  AUTH_TOO_MANY_FAILURES: { smtp: [421, '4.7.0'], text: 'too many failed authentication attempts; try again later' },
  // A rate limit, not a refusal of the recipient: RFC 5321 §4.5.3.1.10 has the client send it again later.
  QUOTA_DESTINATIONS: { smtp: [452, '4.5.3'], text: 'too many different fax numbers from this sender or domain in the last hour' },
  QUEUE_UNAVAILABLE: { smtp: [451, '4.3.0'], text: 'the fax queue is unavailable; try again later' },
  STORE_FAILED: { smtp: [451, '4.3.0'], text: 'the message could not be stored; try again later' },
  // render
  RENDER_NO_CONTENT: { smtp: undefined, text: 'the message had nothing that could be faxed' },
  RENDER_FAILED: { smtp: undefined, text: 'the message could not be turned into fax pages' },
  ATTACHMENT_UNSUPPORTED: { smtp: undefined, text: 'this kind of attachment cannot be faxed' },
  ATTACHMENT_UNREADABLE: { smtp: undefined, text: 'the attachment is damaged or protected and could not be read' },
  // calls
  LINE_BUSY: { smtp: undefined, text: 'the line was busy' },
  NO_ANSWER: { smtp: undefined, text: 'nobody answered the call' },
  NO_CARRIER: { smtp: undefined, text: 'the call was answered but no fax machine responded, or the connection was lost' },
  CALL_FAILED: { smtp: undefined, text: 'the fax call failed' },
  CALL_INTERRUPTED: { smtp: undefined, text: 'the gateway process running the call stopped during the call' },
  NUMBER_REJECTED: { smtp: undefined, text: 'the number does not exist or cannot be reached' },
  RETRIES_EXHAUSTED: { smtp: undefined, text: 'all attempts to deliver the fax failed' },
  // scheduling and control (issue 14)
  FAX_CANCELLED: { smtp: undefined, text: 'the fax was cancelled' },
  FAX_EXPIRED: { smtp: undefined, text: 'the fax could not be sent before its kill time' },
  DESTINATION_HELD: { smtp: undefined, text: 'this number is not dialled for a while after repeated failed calls' },
  DESTINATION_BLOCKED: { smtp: undefined, text: 'an administrator has blocked faxes to this number' },
  // quotas
  QUOTA_PAGES: { smtp: undefined, text: 'the daily page quota of this sender or domain is used up' },
  // mail
  MAIL_REJECTED: { smtp: undefined, text: 'the mail server refused the mail permanently' },
  // jobs
  JOB_PAYLOAD_INVALID: { smtp: undefined, text: 'a queued job has a payload this version does not understand' },
  RECORD_MISSING: { smtp: undefined, text: 'the fax record this job refers to does not exist' },
  JOB_FAILED: { smtp: undefined, text: 'a step of sending the fax failed for good' },
} as const satisfies Record<string, { smtp: readonly [number, string] | undefined; text: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The human sentence for a code. */
export function describeError(code: ErrorCode): string {
  return ERROR_CODES[code].text;
}

/** An error that carries a registry code, an optional detail and whether retrying could help. */
export class FaxgateError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${ERROR_CODES[code].text}: ${detail}` : ERROR_CODES[code].text);
    this.name = 'FaxgateError';
    this.code = code;
    this.detail = detail;
  }
}

/** An Error shaped for smtp-server callbacks: its responseCode and text become the SMTP reply. */
export function smtpError(code: ErrorCode, detail?: string): Error & { responseCode: number } {
  const entry = ERROR_CODES[code];
  const [reply, enhanced] = entry.smtp ?? [451, '4.3.0'];
  const err = new Error(`${enhanced} ${detail ? `${entry.text} (${detail})` : entry.text}`) as Error & { responseCode: number };
  err.responseCode = reply;
  return err;
}
