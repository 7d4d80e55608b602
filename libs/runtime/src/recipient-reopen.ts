import { jobId } from '@faxgate/queue';
import type { RecipientRecord } from '@faxgate/store';
import type { RoleContext } from './role.ts';

/**
 * Whether a recipient was failed only because one of its jobs failed for good (the dispatch
 * reconciler's JOB_FAILED), so that an operator's "Retry" of that job in Bull Board may take
 * it up again.
 */
export function failedByJob(r: Pick<RecipientRecord, 'state' | 'errorCode'>): boolean {
  return r.state === 'failed' && r.errorCode === 'JOB_FAILED';
}

/**
 * "Retry" does what it says: the recipient is open again (state, reason and finish time
 * cleared, the fax back on the open list) and its earlier result mail's job is removed, so the
 * outcome of the retried job is mailed to the sender like any other.
 */
export async function reopenRecipient(ctx: Pick<RoleContext, 'records' | 'queues'>, faxId: string, recipient: number, why: string): Promise<void> {
  await ctx.queues.queue('notify').remove(jobId('result-mail', { faxId, recipient }));
  await ctx.records.updateRecipient(faxId, recipient, { state: 'waiting', errorCode: undefined, reason: undefined, finishedAt: undefined, resultMailSentAt: undefined });
  await ctx.records.updateFax(faxId, { state: 'rendered', finishedAt: undefined });
  await ctx.records.reopenFax(faxId);
  await ctx.records.event(faxId, 'reopened', why, recipient);
}

/**
 * "Retry" on a render job that failed for good: the fax goes back to `queued` and every recipient
 * that failed only because the render did (RENDER_FAILED, or JOB_FAILED from the reconciler) is
 * open again with its failure mail's job removed, so the render runs again and the sender hears
 * the new outcome. Recipients that ended for their own reasons stay as they are.
 */
export async function reopenFaxForRender(ctx: Pick<RoleContext, 'records' | 'queues'>, faxId: string, why: string): Promise<boolean> {
  const fax = await ctx.records.getFax(faxId);
  if (!fax || fax.state !== 'failed') return false;
  const reopened: number[] = [];
  for (let i = 0; i < fax.recipientCount; i++) {
    const r = await ctx.records.getRecipient(faxId, i);
    if (!r || r.state !== 'failed' || (r.errorCode !== 'RENDER_FAILED' && r.errorCode !== 'JOB_FAILED') || r.attempts > 0) continue;
    await ctx.queues.queue('notify').remove(jobId('result-mail', { faxId, recipient: i }));
    await ctx.records.updateRecipient(faxId, i, { state: 'waiting', errorCode: undefined, reason: undefined, finishedAt: undefined, resultMailSentAt: undefined });
    reopened.push(i);
  }
  if (reopened.length === 0) return false;
  await ctx.records.updateFax(faxId, { state: 'queued', error: undefined, finishedAt: undefined });
  await ctx.records.reopenFax(faxId);
  await ctx.records.event(faxId, 'reopened', why);
  return true;
}
