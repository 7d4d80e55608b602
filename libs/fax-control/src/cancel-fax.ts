import { describeError } from '@faxgate/errors';
import type { RecipientRecord } from '@faxgate/store';
import { FaxControlError, isFinished, type ControlResult, type ControlTarget, type FaxControlContext } from './control-context.ts';
import { removePendingJobs } from './pending-jobs.ts';
import { publishCallControl } from './call-control.ts';
import { dropQueuedCall } from './sender-queue.ts';
import { finishRecipient } from './recipient-finish.ts';

/**
 * A result mail for a recipient whose call was on the line waits this long, so that it reports
 * the aborted call (its pages and duration) that the node records as it hangs up.
 */
export const CANCELLED_CALL_MAIL_DELAY_MS = 3_000;

/**
 * Cancels a fax, all its recipients or one (HylaFAX `faxrm`). Each open recipient is marked
 * `cancelled` with who did it, its queued jobs are taken off the queues, a call on the line is
 * aborted (the node hangs up; T.30 DCN where the driver's engine supports it), and the sender
 * gets the result mail saying it was cancelled and by whom. Recipients already finished are
 * left as they are. Idempotent: cancelling twice changes nothing the second time.
 */
export async function cancelFax(ctx: FaxControlContext, faxId: string, target: ControlTarget): Promise<ControlResult> {
  return forEachRecipient(ctx, faxId, target, async (r, result) => {
    if (isFinished(r)) return result.unchanged.push({ recipient: r.index, state: r.state, why: `already ${r.state}` });
    const now = new Date().toISOString();
    const reason = `${describeError('FAX_CANCELLED')} by ${target.by}${target.reason ? `: ${target.reason}` : ''}`;
    await stopRecipient(ctx, faxId, r, { state: 'cancelled', cancelledBy: target.by, cancelledAt: now, errorCode: 'FAX_CANCELLED', reason, finishedAt: now }, reason, 'cancelled', `by ${target.by}${target.reason ? `: ${target.reason}` : ''}`);
    result.changed.push(r.index);
  });
}

/**
 * Ends an open recipient for good: writes the final fields first (so a node about to dial sees
 * them), takes its queued jobs off, tells the nodes to abort its call, and queues the result
 * mail; the kill timer uses it too.
 */
export async function stopRecipient(ctx: FaxControlContext, faxId: string, r: RecipientRecord, fields: Partial<RecipientRecord>, callReason: string, event: string, detail: string): Promise<void> {
  const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
  const wasCalling = r.state === 'calling';
  await ctx.records.updateRecipient(faxId, r.index, { ...fields, nextAttemptAt: undefined });
  const pending = await removePendingJobs(ctx, faxId, r);
  if (wasCalling || pending.active) await publishCallControl(ctx.redis, prefix, { action: 'abort', faxId, recipient: r.index, reason: callReason });
  const fax = await ctx.records.getFax(faxId);
  if (fax) await dropQueuedCall(ctx.redis, prefix, fax.sender, faxId, r.index);
  await ctx.records.event(faxId, event, detail, r.index);
  await ctx.queues.add('result-mail', { faxId, recipient: r.index }, wasCalling || pending.active ? { delay: CANCELLED_CALL_MAIL_DELAY_MS } : {});
  await finishRecipient(ctx, faxId, r.index);
}

/** Runs `each` on the targeted recipients of a fax (all, or the one given), collecting what changed. */
export async function forEachRecipient(ctx: Pick<FaxControlContext, 'records'>, faxId: string, target: Pick<ControlTarget, 'recipient'>, each: (r: RecipientRecord, result: ControlResult) => Promise<unknown>): Promise<ControlResult> {
  const fax = await ctx.records.getFax(faxId);
  if (!fax) throw new FaxControlError('FAX_NOT_FOUND', `no fax ${faxId}`);
  const indexes = target.recipient === undefined ? Array.from({ length: fax.recipientCount }, (_, i) => i) : [target.recipient];
  if (target.recipient !== undefined && (!Number.isInteger(target.recipient) || target.recipient < 0 || target.recipient >= fax.recipientCount)) {
    throw new FaxControlError('RECIPIENT_NOT_FOUND', `fax ${faxId} has no recipient ${target.recipient} (it has ${fax.recipientCount}, numbered from 0)`);
  }
  const result: ControlResult = { faxId, changed: [], unchanged: [] };
  for (const i of indexes) {
    const r = await ctx.records.getRecipient(faxId, i);
    if (!r) {
      result.unchanged.push({ recipient: i, state: 'missing', why: 'no record' });
      continue;
    }
    await each(r, result);
  }
  return result;
}
