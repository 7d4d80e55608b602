import { jobId, type Queue } from '@faxgate/queue';
import type { RecipientRecord } from '@faxgate/store';
import type { FaxControlContext } from './control-context.ts';

/** Job states in which a job has not started and may be taken off its queue. */
const NOT_STARTED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'paused']);

export interface PendingJobs {
  /** Ids of the jobs taken off their queues. */
  removed: string[];
  /** A job of the recipient is running now (a call on the line, or dispatch deciding). */
  active: boolean;
}

/**
 * Takes the recipient's not-yet-started jobs off their queues: its scheduling job and the call
 * of its current or next attempt. A job that is running is left alone (BullMQ refuses to remove
 * a locked job); the caller tells its node to stop it.
 */
export async function removePendingJobs(ctx: Pick<FaxControlContext, 'queues'>, faxId: string, r: Pick<RecipientRecord, 'index' | 'attempts' | 'pool'>): Promise<PendingJobs> {
  const out: PendingJobs = { removed: [], active: false };
  const recipient = r.index;
  const candidates: Array<[Queue, string]> = [[ctx.queues.queue('dispatch'), jobId('schedule-recipient', { faxId, recipient })]];
  if (r.pool) {
    const calls = ctx.queues.queue('calls', r.pool);
    for (const attempt of new Set([Math.max(r.attempts, 1), r.attempts + 1])) candidates.push([calls, jobId('place-call', { faxId, recipient, attempt, fromPage: 1 })]);
  }
  for (const [q, id] of candidates) {
    const state = await q.getJobState(id);
    if (state === 'active') out.active = true;
    if (!NOT_STARTED.has(state)) continue;
    try {
      if (await q.remove(id)) out.removed.push(id);
    } catch {
      // Locked: a worker took it between the two calls.
      out.active = true;
    }
  }
  return out;
}

/**
 * Jobs of the recipient's next attempt that ended without running it (a node skipped a held
 * call): removed so that the same deterministic job id can be queued again on release.
 */
export async function removeSpentJobs(ctx: Pick<FaxControlContext, 'queues' | 'records'>, faxId: string, r: Pick<RecipientRecord, 'index' | 'attempts' | 'pool'>): Promise<void> {
  const recipient = r.index;
  const dispatch = ctx.queues.queue('dispatch');
  const schedule = jobId('schedule-recipient', { faxId, recipient });
  const st = await dispatch.getJobState(schedule);
  if (st === 'completed' || st === 'failed') await dispatch.remove(schedule).catch(() => 0);
  if (!r.pool) return;
  const calls = ctx.queues.queue('calls', r.pool);
  for (const attempt of new Set([Math.max(r.attempts, 1), r.attempts + 1])) {
    const a = await ctx.records.getAttempt(faxId, recipient, attempt);
    if (a?.result || a?.startedAt) continue;
    const id = jobId('place-call', { faxId, recipient, attempt, fromPage: 1 });
    const state = await calls.getJobState(id);
    if (state === 'completed' || state === 'failed') await calls.remove(id).catch(() => 0);
  }
}
