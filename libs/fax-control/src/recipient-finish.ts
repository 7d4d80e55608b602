import { describeError, type ErrorCode } from '@faxgate/errors';
import type { FaxState, RecipientRecord } from '@faxgate/store';
import { observeFaxResult, type GatewayMetrics } from '@faxgate/runtime';
import type { FaxControlContext } from './control-context.ts';

/**
 * Counts the recipient as finished and, when it was the last one, closes the fax: done when
 * every recipient was sent, cancelled when every one was cancelled, failed otherwise.
 * `recipientCount`, when the caller has read the fax, saves reading it again; a one-recipient
 * fax (most faxes) then reads its recipient beside the mark: one round trip less each (issue 18).
 */
export async function finishRecipient(ctx: Pick<FaxControlContext, 'records'>, faxId: string, recipient: number, recipientCount?: number): Promise<void> {
  const { records } = ctx;
  const readStates = (count: number) => Promise.all(Array.from({ length: count }, (_, i) => records.getRecipient(faxId, i)));
  // A one-recipient fax's only state is the caller's own, written before it calls this, so it
  // can be read beside the mark; with more, another recipient's job may be between its state
  // and its mark, so the states are read after this mark counted the last one.
  const [finished, count, early] = await Promise.all([
    records.markRecipientFinished(faxId, recipient),
    recipientCount ?? records.getFax(faxId).then((f) => f?.recipientCount),
    recipientCount === 1 ? readStates(1) : undefined,
  ]);
  if (count !== undefined && finished >= count) {
    const states = early ?? (await readStates(count));
    const state: FaxState = states.every((s) => s?.state === 'sent') ? 'done' : states.every((s) => s?.state === 'cancelled') ? 'cancelled' : 'failed';
    const by = state === 'cancelled' ? [...new Set(states.map((s) => s?.cancelledBy).filter((x): x is string => !!x))].join(', ') : undefined;
    await records.updateFax(faxId, { state, finishedAt: new Date().toISOString(), ...(by ? { cancelledBy: by } : {}) });
  }
}

/**
 * Fails a recipient whose fax cannot go on (a job of it failed for good), and tells the sender:
 * nothing stays "waiting" or "calling" with no job to move it.
 */
export async function failRecipientForGood(ctx: Pick<FaxControlContext, 'records' | 'queues'> & { metrics: GatewayMetrics }, faxId: string, recipient: number, detail: string): Promise<void> {
  await ctx.records.updateRecipient(faxId, recipient, { state: 'failed', errorCode: 'JOB_FAILED', reason: `${describeError('JOB_FAILED')} (${detail})`, nextAttemptAt: undefined, finishedAt: new Date().toISOString() });
  await ctx.queues.add('result-mail', { faxId, recipient });
  await ctx.records.event(faxId, 'failed', detail, recipient);
  await observeFaxResult(ctx, faxId, { result: 'failed', reason: 'JOB_FAILED' });
  await finishRecipient(ctx, faxId, recipient);
}

/**
 * Ends a recipient as failed before a call (a dial rule that now refuses its number, a kill time
 * passed, a held destination) and tells the sender why. Dispatch decides this between calls;
 * a node decides it at the last moment before dialling, when a runtime setting changed while the
 * call waited in the line queue (issue 20).
 */
export async function failBeforeCall(ctx: Pick<FaxControlContext, 'records' | 'queues'> & { metrics: GatewayMetrics }, faxId: string, recipient: number, code: ErrorCode, detail: string, extra: Partial<RecipientRecord> = {}, pool?: string): Promise<void> {
  const reason = `${describeError(code)} (${detail})`;
  await ctx.records.updateRecipient(faxId, recipient, { ...extra, state: 'failed', errorCode: code, reason, nextAttemptAt: undefined, finishedAt: new Date().toISOString() });
  await ctx.queues.add('result-mail', { faxId, recipient });
  await ctx.records.event(faxId, 'failed', reason, recipient);
  await observeFaxResult(ctx, faxId, { result: 'failed', pool: extra.pool ?? pool, reason: code });
  await finishRecipient(ctx, faxId, recipient);
}
