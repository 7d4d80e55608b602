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
