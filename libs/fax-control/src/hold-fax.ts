import type { ControlResult, ControlTarget, FaxControlContext } from './control-context.ts';
import { isFinished } from './control-context.ts';
import { forEachRecipient } from './cancel-fax.ts';
import { removePendingJobs, removeSpentJobs } from './pending-jobs.ts';
import { dropQueuedCall } from './sender-queue.ts';

/**
 * Holds a fax (HylaFAX `faxalter -h`): its open recipients are not dialled until released. A
 * waiting recipient's queued call is taken off the line queue at once; a call on the line now
 * is not interrupted, and the hold takes effect before the next attempt. The record keeps
 * `heldBy` and `heldAt`; the state reads `held` while no call runs.
 */
export async function holdFax(ctx: FaxControlContext, faxId: string, target: ControlTarget): Promise<ControlResult> {
  return forEachRecipient(ctx, faxId, target, async (r, result) => {
    if (isFinished(r)) return result.unchanged.push({ recipient: r.index, state: r.state, why: `already ${r.state}` });
    if (r.heldAt) return result.unchanged.push({ recipient: r.index, state: r.state, why: `already held by ${r.heldBy ?? 'someone'}` });
    const now = new Date().toISOString();
    await ctx.records.updateRecipient(faxId, r.index, { heldAt: now, heldBy: target.by });
    if (r.state === 'calling') {
      await ctx.records.event(faxId, 'hold requested', `by ${target.by}; takes effect when the current call ends`, r.index);
    } else {
      await ctx.records.updateRecipient(faxId, r.index, { state: 'held' });
      await removePendingJobs(ctx, faxId, r);
      const fax = await ctx.records.getFax(faxId);
      if (fax) await dropQueuedCall(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, fax.sender, faxId, r.index);
      await ctx.records.event(faxId, 'held', `by ${target.by}`, r.index);
    }
    result.changed.push(r.index);
  });
}

/**
 * Releases a held fax: each held recipient goes back to waiting (or to its retry time, if that
 * is still ahead) and dispatch schedules its next call, under its kill time and priority.
 */
export async function releaseFax(ctx: FaxControlContext, faxId: string, target: ControlTarget): Promise<ControlResult> {
  return forEachRecipient(ctx, faxId, target, async (r, result) => {
    if (isFinished(r)) return result.unchanged.push({ recipient: r.index, state: r.state, why: `already ${r.state}` });
    if (!r.heldAt) return result.unchanged.push({ recipient: r.index, state: r.state, why: 'not held' });
    const parked = r.state === 'held';
    await ctx.records.updateRecipient(faxId, r.index, { heldAt: undefined, heldBy: undefined, ...(parked ? { state: r.attempts > 0 ? 'retry-wait' : 'waiting' } : {}) });
    if (parked) {
      await removeSpentJobs(ctx, faxId, r);
      await ctx.queues.add('schedule-recipient', { faxId, recipient: r.index });
    }
    await ctx.records.event(faxId, 'released', `by ${target.by}`, r.index);
    result.changed.push(r.index);
  });
}
