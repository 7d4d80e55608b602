import type { RecipientRecord } from '@faxgate/store';

/** RFC 3464 §2.3.3: what happened to a recipient, as a DSN's Action field says it. */
export type DsnAction = 'delivered' | 'failed' | 'delayed';

/**
 * RFC 3463 enhanced status codes for why a fax failed, by faxgate error code. The class digit
 * is written as 5 (a failed recipient); a delayed one reports the same subject and detail with
 * class 4 (RFC 3463 §3.1: the same condition, not yet permanent). docs/dsn.md lists this table.
 */
export const FAILURE_STATUS: Readonly<Record<string, string>> = {
  // The number does not exist or the network refused it: X.1.1 "bad destination mailbox address".
  NUMBER_REJECTED: '5.1.1',
  // The dialling rules forbid the number: X.7.1 "delivery not authorized".
  RCPT_NUMBER_DENIED: '5.7.1',
  // Nobody picked up: X.4.1 "no answer from host".
  NO_ANSWER: '5.4.1',
  // Busy every time: X.4.5 "system congestion" (the far end could not take the call).
  LINE_BUSY: '5.4.5',
  // Answered without a fax machine, or the connection dropped: X.4.2 "bad connection".
  NO_CARRIER: '5.4.2',
  // The call failed in the fax protocol: X.4.0 "other network or routing status".
  CALL_FAILED: '5.4.0',
  // Every attempt used up: X.4.7 "delivery time expired".
  RETRIES_EXHAUSTED: '5.4.7',
  // The gateway stopped mid-call: X.3.0 "other mail system status".
  CALL_INTERRUPTED: '5.3.0',
  // Nothing faxable in the message: X.6.0 "other media error".
  RENDER_NO_CONTENT: '5.6.0',
  // An attachment type faxgate cannot print: X.6.1 "media not supported".
  ATTACHMENT_UNSUPPORTED: '5.6.1',
  // The message could not become fax pages: X.6.5 "conversion failed".
  RENDER_FAILED: '5.6.5',
  ATTACHMENT_UNREADABLE: '5.6.5',
  // A sender's or domain's quota: X.7.1 "delivery not authorized, message refused".
  QUOTA_PAGES: '5.7.1',
  QUOTA_DESTINATIONS: '5.7.1',
  // Cancelled by the sender or an administrator: X.7.0 "other security or policy status"
  // (a decision, not a fault of the network).
  FAX_CANCELLED: '5.7.0',
  // Not sent before its kill time: X.4.7 "delivery time expired".
  FAX_EXPIRED: '5.4.7',
  // A number held after repeated failures: X.4.4 "unable to route" for now.
  DESTINATION_HELD: '5.4.4',
  // A number an administrator blocked: X.7.1 "delivery not authorized".
  DESTINATION_BLOCKED: '5.7.1',
  // A step of the gateway failed for good: X.3.0 "other mail system status".
  JOB_FAILED: '5.3.0',
};

/** Status of a recipient whose failure has no code faxgate knows (X.0.0 "other undefined status"). */
export const UNKNOWN_FAILURE_STATUS = '5.0.0';

/** The Action and Status fields (RFC 3464 §2.3.3, §2.3.4) for a recipient as it stands. */
export function dsnStatus(r: Pick<RecipientRecord, 'state' | 'errorCode'>, lastCode?: string): { action: DsnAction; status: string } {
  if (r.state === 'sent') return { action: 'delivered', status: '2.0.0' };
  if (isEnded(r.state)) return { action: 'failed', status: failureStatus(r.errorCode) };
  // Not finished: the condition of the last call, as a transient status (4.4.1 before any call
  // was made: waiting for a line or a retry is the fax network's "no answer yet").
  const code = lastCode ?? r.errorCode;
  return { action: 'delayed', status: code ? `4${failureStatus(code).slice(1)}` : '4.4.1' };
}

/**
 * Whether a recipient has ended: sent, failed, or any other final state (cancelled) that dispatch
 * may record; every ended recipient that is not sent is reported as failed.
 */
export function isEnded(state: string): boolean {
  return state === 'sent' || state === 'failed' || state === 'cancelled';
}

function failureStatus(code: string | undefined): string {
  return (code && FAILURE_STATUS[code]) || UNKNOWN_FAILURE_STATUS;
}
