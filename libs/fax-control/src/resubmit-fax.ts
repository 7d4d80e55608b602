import { newFaxId } from '@faxgate/queue';
import type { FaxRecord, RecipientRecord } from '@faxgate/store';
import { FaxControlError, type ControlActor, type FaxControlContext } from './control-context.ts';

/**
 * Resubmits a fax (HylaFAX `faxalter -r` / resubmit): a new fax from the same stored message to
 * the same recipients (all, or the one given), rendered and sent again with its own id, record
 * and result mails. The old fax is left as it is, with a timeline entry naming the new one.
 */
export async function resubmitFax(ctx: FaxControlContext, faxId: string, target: ControlActor & { recipient?: number }): Promise<{ faxId: string; from: string; recipients: number[] }> {
  const fax = await ctx.records.getFax(faxId);
  if (!fax) throw new FaxControlError('FAX_NOT_FOUND', `no fax ${faxId}`);
  const indexes = target.recipient === undefined ? Array.from({ length: fax.recipientCount }, (_, i) => i) : [target.recipient];
  const old: RecipientRecord[] = [];
  for (const i of indexes) {
    const r = await ctx.records.getRecipient(faxId, i);
    if (!r) throw new FaxControlError('RECIPIENT_NOT_FOUND', `fax ${faxId} has no recipient ${i}`);
    old.push(r);
  }
  if (old.length === 0) throw new FaxControlError('NOTHING_TO_RESUBMIT', `fax ${faxId} has no recipients`);
  const id = newFaxId();
  const now = new Date().toISOString();
  const copy: FaxRecord = {
    id,
    state: 'queued',
    createdAt: now,
    sender: fax.sender,
    messageKey: fax.messageKey,
    messageBytes: fax.messageBytes,
    recipientCount: old.length,
    ...pick(fax, ['fromHeader', 'subject', 'messageId', 'clientAddress', 'authUser', 'senderTrust', 'dsn']),
    resubmittedFrom: faxId,
    resubmittedBy: target.by,
  };
  const recipients: RecipientRecord[] = old.map((r, index) => ({
    index,
    address: r.address,
    number: r.number,
    dialString: r.dialString,
    state: 'waiting',
    pagesSent: 0,
    attempts: 0,
    connectedAttempts: 0,
    durationMs: 0,
    ...pick(r, ['name', 'notify', 'orcpt']),
  }));
  await ctx.records.create(copy, recipients);
  await ctx.records.event(id, 'resubmitted', `from ${faxId} by ${target.by}`);
  await ctx.queues.add('render-fax', { faxId: id });
  await ctx.records.event(faxId, 'resubmitted', `as ${id} by ${target.by}`, target.recipient);
  return { faxId: id, from: faxId, recipients: indexes };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
