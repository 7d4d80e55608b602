import { describeError } from '@faxgate/errors';
import { observeFaxResult, type RoleContext } from '@faxgate/runtime';

/** Counts the recipient as finished and, when it was the last one, closes the fax. */
export async function finishRecipient(ctx: Pick<RoleContext, 'records'>, faxId: string, recipient: number): Promise<void> {
  const { records } = ctx;
  const finished = await records.markRecipientFinished(faxId, recipient);
  const fax = await records.getFax(faxId);
  if (fax && finished >= fax.recipientCount) {
    const states = await Promise.all(Array.from({ length: fax.recipientCount }, (_, i) => records.getRecipient(faxId, i)));
    const allSent = states.every((s) => s?.state === 'sent');
    await records.updateFax(faxId, { state: allSent ? 'done' : 'failed', finishedAt: new Date().toISOString() });
  }
}

/**
 * Fails a recipient whose fax cannot go on (a job of it failed for good), and tells the sender:
 * nothing stays "waiting" or "calling" with no job to move it.
 */
export async function failRecipientForGood(ctx: Pick<RoleContext, 'records' | 'queues' | 'metrics'>, faxId: string, recipient: number, detail: string): Promise<void> {
  await ctx.records.updateRecipient(faxId, recipient, { state: 'failed', errorCode: 'JOB_FAILED', reason: `${describeError('JOB_FAILED')} (${detail})`, nextAttemptAt: undefined, finishedAt: new Date().toISOString() });
  await ctx.queues.add('result-mail', { faxId, recipient });
  await ctx.records.event(faxId, 'failed', detail, recipient);
  await observeFaxResult(ctx, faxId, { result: 'failed', reason: 'JOB_FAILED' });
  await finishRecipient(ctx, faxId, recipient);
}
