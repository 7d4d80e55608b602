/** Cost limits per sender and per sender domain; 0 means no limit. */
export interface QuotaLimits {
  /** Pages one sender may have faxed per day (UTC). */
  senderPagesPerDay: number;
  /** Pages all senders of one domain may have faxed per day (UTC). */
  domainPagesPerDay: number;
  /** Distinct numbers one sender may fax within any hour: the toll-fraud brake. */
  senderDestinationsPerHour: number;
  /** Distinct numbers all senders of one domain may fax within any hour. */
  domainDestinationsPerHour: number;
}

/** Why a quota refused: which limit, whose, and the sentence for the sender. */
export interface QuotaRefusal {
  ok: false;
  scope: 'sender' | 'domain';
  /** The sender address or the domain the limit applies to. */
  who: string;
  limit: number;
  /** What was already used when the request came. */
  used: number;
  detail: string;
}

export type QuotaVerdict = { ok: true } | QuotaRefusal;

/** The domain part of a sender address, lower case (`''` for the null sender). */
export function senderDomain(sender: string): string {
  const at = sender.lastIndexOf('@');
  return at < 0 ? '' : sender.slice(at + 1).toLowerCase();
}

/** A sender address as quota keys use it (case folded: the same mailbox written twice is one sender). */
export function senderKey(sender: string): string {
  return sender.toLowerCase();
}

/** The UTC day (YYYY-MM-DD) and month (YYYY-MM) of a time. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}
