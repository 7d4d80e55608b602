import type { FaxView } from '@faxgate/store';
import { dsnStatus } from './dsn-status.ts';
import type { ReportPerMessage, ReportPerRecipient } from './delivery-report.ts';

type Recipient = FaxView['recipients'][number];

/** The per-message DSN fields of a fax (RFC 3464 §2.2). */
export function perMessageFields(fax: FaxView, reportingMta: string): ReportPerMessage {
  return { reportingMta, envid: fax.dsn?.envid, arrivalDate: new Date(fax.createdAt) };
}

/**
 * The per-recipient DSN fields (RFC 3464 §2.3). The final recipient is the fax number as an
 * RFC 3192 minimal fax address (`FAX=+12125550100@domain`), so a mail client shows the number
 * that was dialled; the original recipient is the client's ORCPT, only when it gave one (§2.3.1).
 */
export function perRecipientFields(fax: FaxView, r: Recipient, opts: { plain?: boolean } = {}): ReportPerRecipient {
  const last = r.attemptsDetail.at(-1);
  const { action, status } = dsnStatus(r, last?.result && last.result !== 'success' ? CAUSE_CODE[last.result] : undefined);
  const domain = r.address.slice(r.address.lastIndexOf('@') + 1);
  const reason = r.reason ?? fax.error?.text;
  return {
    originalRecipient: r.orcpt,
    finalRecipient: `rfc822; FAX=${r.number}@${domain}`,
    action,
    status,
    // A plain notice carries nothing the far end or the author wrote (see result-mail-policy.ts).
    remoteCsid: opts.plain ? undefined : r.remoteId,
    diagnostic: action === 'delivered' ? undefined : action === 'delayed' ? delayedDiagnostic(r, last?.reason) : reason,
    lastAttemptDate: last?.endedAt ? new Date(last.endedAt) : r.finishedAt ? new Date(r.finishedAt) : undefined,
  };
}

function delayedDiagnostic(r: Recipient, lastReason: string | undefined): string {
  if (r.attempts === 0) return 'waiting for a line; not dialled yet';
  return `${r.attempts} call(s) so far${lastReason ? `; the last one: ${lastReason}` : ''}; still trying`;
}

/** The cause of an unfinished call result, for the transient status of a delayed recipient. */
const CAUSE_CODE: Record<string, string> = {
  busy: 'LINE_BUSY',
  'no-answer': 'NO_ANSWER',
  'no-carrier': 'NO_CARRIER',
  failed: 'CALL_FAILED',
  rejected: 'NUMBER_REJECTED',
};
