import type { FaxRecords, FaxView } from '@faxgate/store';

/**
 * The fax as one recipient's result mail needs it: the fax record, that recipient with its
 * attempts, and no timeline. `records.view()` reads every recipient, every attempt and the whole
 * timeline, which for a 500-recipient broadcast made each of its 500 result mails read the whole
 * broadcast (O(n²) reads; bench/notifier-broadcast.bench.ts). What a result mail shows comes from
 * the fax record and its own recipient only.
 */
export async function recipientView(records: Pick<FaxRecords, 'getFax' | 'getRecipient' | 'getAttempt'>, faxId: string, recipient: number): Promise<FaxView | undefined> {
  const [fax, r] = await Promise.all([records.getFax(faxId), records.getRecipient(faxId, recipient)]);
  if (!fax) return undefined;
  if (!r) return { ...fax, recipients: [], timeline: [] };
  const attempts = await Promise.all(Array.from({ length: r.attempts }, (_, n) => records.getAttempt(faxId, recipient, n + 1)));
  return { ...fax, recipients: [{ ...r, attemptsDetail: attempts.filter((a) => a !== undefined) }], timeline: [] };
}

/** Every recipient record of a fax (no attempts, no timeline): what the broadcast's end is judged on. */
export async function allRecipients(records: Pick<FaxRecords, 'getFax' | 'getRecipient'>, faxId: string, count: number): Promise<Pick<FaxView, 'recipients' | 'recipientCount'>> {
  const rs = await Promise.all(Array.from({ length: count }, (_, i) => records.getRecipient(faxId, i)));
  return { recipientCount: count, recipients: rs.filter((r) => r !== undefined).map((r) => ({ ...r, attemptsDetail: [] })) };
}
