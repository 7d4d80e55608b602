import type { Queue } from 'bullmq';
import type { JobData, JobName } from '@faxgate/queue';
import { JOBS, jobId } from '@faxgate/queue';
import type { AttemptRecord, FaxRecord, RecipientRecord } from '@faxgate/store';
import type { RoleContext } from '@faxgate/runtime';
import { pagesConfirmed } from './retry-policy.ts';
import { failRecipientForGood, isFinished } from '@faxgate/fax-control';

export interface ReconcilerOptions {
  pool: string;
  intervalMs: number;
  /** Faxes younger than this are left alone: their next job may be on its way. */
  graceMs: number;
  /** The BullMQ priority a re-queued call gets (dispatch's priority and fair share). */
  callPriority?(fax: FaxRecord, r: RecipientRecord): Promise<number>;
}

/** What one sweep did, for logs and tests. */
export interface SweepReport {
  checked: number;
  requeued: string[];
  failed: string[];
  closed: number;
}

type Step = { name: JobName; data: JobData<JobName>; pool?: string; delay?: number; fax?: FaxRecord; r?: RecipientRecord };

/**
 * Nothing stranded: a fax record whose next job is gone (removed in Bull Board, lost with a
 * Redis that lost writes) would wait for ever. Every sweep walks the open faxes, works out from
 * each record which job must exist next (the same deterministic job the normal flow adds), and
 * re-queues it when it is gone; a job that failed for good fails its recipient with a result
 * mail instead. Every action is one the normal flow could take itself and every job id is
 * deterministic, so sweeps on several dispatch replicas at once add nothing twice.
 */
export function createReconciler(ctx: RoleContext, o: ReconcilerOptions) {
  const { records, queues } = ctx;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  const stateOf = async (step: Step): Promise<string> => {
    const q: Queue = queues.queue(queueFamily(step.name), step.pool);
    return q.getJobState(jobId(step.name, step.data as never));
  };
  // A call is ranked when it is queued again, as dispatch ranks every call it queues.
  const add = async (step: Step) => {
    const priority = step.name === 'place-call' && step.fax && step.r ? await o.callPriority?.(step.fax, step.r) : undefined;
    return queues.add(step.name, step.data as never, { pool: step.pool, delay: step.delay, priority });
  };

  /** The job that moves a recipient on from where its record stands, or undefined when none must. */
  const nextStep = async (fax: FaxRecord, r: RecipientRecord): Promise<Step | undefined> => {
    const faxId = fax.id;
    const recipient = r.index;
    if (isFinished(r)) {
      return r.resultMailSentAt ? undefined : { name: 'result-mail', data: { faxId, recipient } };
    }
    // Held: no call until an operator releases it (release queues it again).
    if (r.state === 'held') return undefined;
    const pool = r.pool ?? o.pool;
    if (r.attempts === 0 && !(await records.getAttempt(faxId, recipient, 1))) {
      // Not dialled yet: the scheduling job, or the first call it queued.
      const call: Step = { name: 'place-call', data: { faxId, recipient, attempt: 1, fromPage: 1 }, pool, fax, r };
      if ((await stateOf(call)) !== 'unknown') return call;
      return { name: 'schedule-recipient', data: { faxId, recipient } };
    }
    const n = Math.max(r.attempts, 1);
    const a = await records.getAttempt(faxId, recipient, n);
    if (!a?.result) return { name: 'place-call', data: { faxId, recipient, attempt: n, fromPage: a?.fromPage ?? 1 }, pool, fax, r };
    if (!a.handledAt) return { name: 'call-outcome', data: { faxId, recipient, attempt: n } };
    // Handled, and not finished: dispatch decided to retry.
    const attempts: AttemptRecord[] = [];
    for (let i = 1; i <= n; i++) {
      const x = await records.getAttempt(faxId, recipient, i);
      if (x) attempts.push(x);
    }
    const fromPage = Math.min(pagesConfirmed(attempts) + 1, Math.max(r.pagesTotal ?? 1, 1));
    const delay = r.nextAttemptAt ? Math.max(0, Date.parse(r.nextAttemptAt) - Date.now()) : 0;
    return { name: 'place-call', data: { faxId, recipient, attempt: n + 1, fromPage }, pool, delay, fax, r };
  };

  async function reconcileFax(faxId: string, report: SweepReport): Promise<void> {
    const fax = await records.getFax(faxId);
    if (!fax) {
      await records.closeFax(faxId);
      return;
    }
    report.checked++;
    if (fax.state === 'queued' || fax.state === 'rendering') {
      const render: Step = { name: 'render-fax', data: { faxId } };
      const state = await stateOf(render);
      if (state === 'unknown') {
        await add(render);
        report.requeued.push(`render-fax ${faxId}`);
        await records.event(faxId, 'job re-queued', 'the render job was gone');
      } else if (state === 'failed' || state === 'completed') {
        // The render step ended without moving the record on (a crash after its last try).
        for (let i = 0; i < fax.recipientCount; i++) {
          const r = await records.getRecipient(faxId, i);
          if (r && !isFinished(r)) await failRecipientForGood(ctx, faxId, i, `render-fax ${state}`);
        }
        if (state === 'failed') await records.updateFax(faxId, { state: 'failed', finishedAt: new Date().toISOString() });
        report.failed.push(`render-fax ${faxId}`);
      }
      return;
    }
    let open = false;
    for (let i = 0; i < fax.recipientCount; i++) {
      const r = await records.getRecipient(faxId, i);
      if (!r) continue;
      const step = fax.state === 'rendered' || isFinished(r) ? await nextStep(fax, r) : undefined;
      if (!step) continue;
      const state = await stateOf(step);
      if (step.name === 'result-mail') {
        if (state === 'unknown') {
          await add(step);
          report.requeued.push(`result-mail ${faxId}/r${i}`);
          open = true;
        } else if (state !== 'completed' && state !== 'failed') open = true;
        continue;
      }
      open = true;
      if (state === 'unknown') {
        await add(step);
        report.requeued.push(`${step.name} ${faxId}/r${i}`);
        await records.event(faxId, 'job re-queued', `the ${step.name} job was gone`, i);
      } else if (state === 'completed' && step.name === 'schedule-recipient') {
        // The scheduling job ran and left the recipient open (not held, not refused), so it
        // queued the first call as its last step, and that call is gone (removed in Bull Board
        // while it waited for a line, or lost). Scheduling runs again, with its checks (send-at
        // and kill time, quiet hours, dial policy); the completed job holds its id until pruned,
        // days later, so it is removed first.
        await queues.queue(queueFamily(step.name)).remove(jobId(step.name, step.data as never));
        await add(step);
        report.requeued.push(`${step.name} ${faxId}/r${i}`);
        await records.event(faxId, 'job re-queued', 'the place-call job was gone: scheduled again', i);
      } else if (state === 'failed') {
        const q = queues.queue(queueFamily(step.name), step.pool);
        const job = await q.getJob(jobId(step.name, step.data as never));
        await failRecipientForGood(ctx, faxId, i, `${step.name} failed: ${job?.failedReason ?? 'unknown reason'}`);
        report.failed.push(`${step.name} ${faxId}/r${i}`);
      }
    }
    if (!open && (fax.state === 'done' || fax.state === 'failed' || fax.state === 'cancelled')) {
      await records.closeFax(faxId);
      report.closed++;
    }
  }

  /** One pass over the open faxes older than the grace time. */
  async function sweep(): Promise<SweepReport> {
    const report: SweepReport = { checked: 0, requeued: [], failed: [], closed: 0 };
    for (const id of await records.openFaxes(Date.now() - o.graceMs)) {
      try {
        await reconcileFax(id, report);
      } catch (err) {
        ctx.log.warn({ faxId: id, err: (err as Error).message }, 'reconciler could not check a fax');
      }
    }
    if (report.requeued.length || report.failed.length) ctx.log.warn({ requeued: report.requeued, failed: report.failed }, 'reconciler moved stranded faxes on');
    return report;
  }

  return {
    sweep,
    start() {
      const tick = () => {
        running = sweep()
          .catch((err) => ctx.log.warn({ err: (err as Error).message }, 'reconciler sweep failed'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, o.intervalMs);
          });
      };
      timer = setTimeout(tick, o.intervalMs);
    },
    async stop() {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await running;
    },
  };
}

function queueFamily(name: JobName) {
  return JOBS[name].queue;
}
