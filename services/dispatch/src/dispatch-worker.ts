import { UnrecoverableError, createWorker, splitConcurrency } from '@faxgate/queue';
import { describeError, type ErrorCode } from '@faxgate/errors';
import { dialFields, dialPolicyRefusal, dialRulesFromConfig } from '@faxgate/phone';
import { derived, pick } from '@faxgate/config';
import type { AttemptRecord, FaxRecord, RecipientRecord } from '@faxgate/store';
import { failedByJob, observeFaxResult, reopenRecipient, type RoleContext } from '@faxgate/runtime';
import { dropQueuedCall, failBeforeCall, finishRecipient, isFinished } from '@faxgate/fax-control';
import { Destinations, type DestinationPolicy } from '@faxgate/destinations';
import { PageQuota, quotaLimitsFromConfig } from '@faxgate/quotas';
import type { DispatchConfig } from './config.ts';
import { decideNext, pagesConfirmed, type RetryPolicy } from './retry-policy.ts';
import { bullPriority, rankAmongSender } from './call-priority.ts';
import { loadSchedule } from './schedule-loader.ts';
import type { KillTimer } from './kill-timer.ts';
import { QuietHours } from '@faxgate/quiet-hours';

/**
 * dispatch: hands each recipient's fax to a line pool and decides, after every call, whether to
 * retry (and when) or to finish and tell the sender. Every call is queued through `queueCall`,
 * which applies the fax's schedule (send-at, kill time, priority and the sender's fair share)
 * and the destination's memory (blocked, or held after failures). Every step is idempotent: job
 * ids are derived from (fax, recipient, attempt), so a step re-run after a crash queues nothing
 * twice.
 */
export function createDispatchWorker(ctx: RoleContext, config: DispatchConfig, killTimer: KillTimer) {
  // The retry policy and the dial rules follow the runtime settings (issue 20): each decision
  // uses the values of the moment.
  const policy = derived(
    () => pick(config, ['FAXGATE_RETRY_BUSY_DELAY', 'FAXGATE_RETRY_NO_ANSWER_DELAY', 'FAXGATE_RETRY_FAILED_DELAY', 'FAXGATE_RETRY_MAX_DIALS', 'FAXGATE_RETRY_MAX_TRIES', 'FAXGATE_RETRY_RESUME']),
    (): RetryPolicy => ({
      busyDelayMs: config.FAXGATE_RETRY_BUSY_DELAY,
      noAnswerDelayMs: config.FAXGATE_RETRY_NO_ANSWER_DELAY,
      failedDelayMs: config.FAXGATE_RETRY_FAILED_DELAY,
      maxDials: config.FAXGATE_RETRY_MAX_DIALS,
      maxTries: config.FAXGATE_RETRY_MAX_TRIES,
      resume: config.FAXGATE_RETRY_RESUME,
    }),
  );
  // Read at each call's outcome: these limits are runtime settings (issue 20).
  const destinationPolicy: DestinationPolicy = {
    get maxFailures() {
      return config.FAXGATE_DESTINATION_MAX_FAILURES;
    },
    get failureWindowMs() {
      return config.FAXGATE_DESTINATION_FAILURE_WINDOW;
    },
    get holdMs() {
      return config.FAXGATE_DESTINATION_HOLD;
    },
  };
  const pool = config.FAXGATE_DISPATCH_POOL;
  const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
  const dialRules = derived(() => pick(config, Object.keys(dialFields)), () => dialRulesFromConfig(config));
  const quietHours = derived(() => pick(config, ['FAXGATE_QUIET_HOURS']), () => new QuietHours(config.FAXGATE_QUIET_HOURS, ctx.quietHoursClock));
  const { records, queues } = ctx;
  const destinations = new Destinations(ctx.redis, prefix);

  /** Ends a recipient as failed before or between calls, and tells the sender why. */
  const failRecipient = (faxId: string, recipient: number, code: ErrorCode, detail: string, extra: Partial<RecipientRecord> = {}) => failBeforeCall(ctx, faxId, recipient, code, detail, extra, pool);

  /**
   * Queues the recipient's call `attempt`, `delayMs` from now, unless its schedule or its
   * destination says otherwise: not before its send-at time, never after its kill time, never to
   * a blocked or held number; ranked by priority and its sender's fair share.
   */
  async function queueCall(fax: FaxRecord, r: RecipientRecord, attempt: number, fromPage: number, delayMs: number): Promise<void> {
    const faxId = fax.id;
    const now = Date.now();
    // The number's memory is read beside the schedule (one round trip, not two); it is looked
    // at below, in the order of the checks. A schedule computed now (the fax's first decision)
    // is written in `queued`'s MULTI with the recipient's "queued" lines (issue 14 benchmark: its
    // own MULTI was one more awaited round trip per fax), or before the recipient is failed.
    const queued = records.change();
    const [schedule, refusal] = await Promise.all([loadSchedule(ctx, fax, config, queued), destinations.refusal(r.number, now)]);
    const failRecipientScheduled: typeof failRecipient = async (...args) => {
      await queued.exec();
      await failRecipient(...args);
    };
    let delay = Math.max(delayMs, schedule.sendAt ? Date.parse(schedule.sendAt) - now : 0, 0);
    // The destination's quiet hours (@faxgate/quiet-hours): the call starts when they end.
    const quiet = quietHours().waitFor(r.number, now + delay);
    if (quiet) delay = quiet.until - now;
    if (schedule.killAt && now + delay >= Date.parse(schedule.killAt)) {
      const last = r.reason ? `; last call: ${r.reason}` : '';
      await failRecipientScheduled(faxId, r.index, 'FAX_EXPIRED', `${schedule.killAt}${delay > 0 ? `; the next call could not start before it${quiet ? ` (${quiet.why})` : ''}` : ''}${last}`);
      return;
    }
    // The same dial policy as ingest's RCPT check, under this process's current settings, before
    // every attempt (not only the first): a rule tightened while the fax waited applies, a number
    // it no longer allows is never dialled, and the sender is told why.
    const denied = dialPolicyRefusal(r.number, dialRules());
    if (denied) {
      await failRecipientScheduled(faxId, r.index, 'RCPT_NUMBER_DENIED', denied);
      return;
    }
    if (refusal) {
      await failRecipientScheduled(faxId, r.index, refusal.code, `${r.number}: ${refusal.detail}`);
      return;
    }
    if (attempt === 1) {
      // Pages per day (libs/quotas): reserved once per recipient, before its first call, under
      // the limits of the moment; a retried step finds its reservation and is not counted twice.
      const quota = await new PageQuota(ctx.redis, prefix, quotaLimitsFromConfig(config)).reserve(fax.sender, r.pagesTotal ?? 0, `${faxId}-r${r.index}`, now);
      if (!quota.ok) {
        await failRecipientScheduled(faxId, r.index, 'QUOTA_PAGES', quota.detail);
        return;
      }
    }
    const callPool = r.pool ?? pool;
    // Independent writes go out together, in one round trip before the job is queued (issue 18:
    // the timeline lines and the kill-time entry went in a second one after it). Written first,
    // a line says "queued" a moment before the job is; a crash in between leaves the line and no
    // job, and the step's re-run (or the reconciler) queues it.
    queued.recipient(faxId, r.index, { pool: callPool, ...(delay > 0 ? { nextAttemptAt: new Date(now + delay).toISOString() } : {}) });
    if (quiet) queued.event(faxId, 'waiting for quiet hours to end', `${quiet.why}: not dialled before ${new Date(quiet.until).toISOString()}`, r.index);
    if (attempt === 1) queued.event(faxId, 'queued for a line', `pool ${callPool}, ${schedule.priority} priority${delay > 0 ? `, not before ${new Date(now + delay).toISOString()}` : ''}`, r.index);
    const [rank] = await Promise.all([rankAmongSender(ctx.redis, prefix, fax.sender, faxId, r.index, now), queued.exec(), schedule.killAt ? killTimer.track(faxId, r.index, schedule.killAt) : undefined]);
    await queues.add('place-call', { faxId, recipient: r.index, attempt, fromPage }, { pool: callPool, delay: delay || undefined, priority: bullPriority(schedule.priority, rank) });
  }

  /** The recipient's attempts 1..upTo that exist, read together (one round trip). */
  async function attemptsOf(faxId: string, recipient: number, upTo: number): Promise<AttemptRecord[]> {
    const all = await Promise.all(Array.from({ length: upTo }, (_, i) => records.getAttempt(faxId, recipient, i + 1)));
    return all.filter((a): a is AttemptRecord => a !== undefined);
  }

  const makeWorker = (concurrency: number) => createWorker(
    'dispatch',
    {
      // The first call of a recipient, and the next one after a release from hold.
      'schedule-recipient': async ({ faxId, recipient }, job) => {
        const [first, fax] = await Promise.all([records.getRecipient(faxId, recipient), records.getFax(faxId)]);
        let r = first;
        if (!r || !fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        // An operator's Retry of this job after the reconciler failed the recipient for it.
        if (failedByJob(r) && r.attempts === 0) {
          await reopenRecipient(ctx, faxId, recipient, `schedule job ${job.id} retried`);
          r = (await records.getRecipient(faxId, recipient))!;
        }
        if (isFinished(r) || r.state === 'calling') return;
        if (r.heldAt) {
          if (r.state !== 'held') await records.updateRecipient(faxId, recipient, { state: 'held' });
          return;
        }
        if (r.attempts === 0) return queueCall(fax, r, 1, 1, 0);
        // Released after calls were made: the next attempt, as the retry policy decided it.
        const attempts = await attemptsOf(faxId, recipient, r.attempts);
        const last = attempts[attempts.length - 1];
        if (!last?.result || !last.handledAt) return; // a call or its outcome is in flight and moves it on
        const next = decideNext(attempts, r.pagesTotal ?? 0, policy());
        if (next.action !== 'retry') return;
        const delay = r.nextAttemptAt ? Math.max(0, Date.parse(r.nextAttemptAt) - Date.now()) : 0;
        await queueCall(fax, r, r.attempts + 1, next.fromPage, delay);
      },
      'call-outcome': async ({ faxId, recipient, attempt }, job) => {
        // The records and every attempt in one round trip; reopening (below) changes none of the attempts.
        const [first, fax, attempts] = await Promise.all([records.getRecipient(faxId, recipient), records.getFax(faxId), attemptsOf(faxId, recipient, attempt)]);
        let r = first;
        if (!r || !fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        // An operator's Retry of this job after the reconciler failed the recipient for it.
        if (failedByJob(r)) {
          await reopenRecipient(ctx, faxId, recipient, `outcome job ${job.id} retried`);
          r = (await records.getRecipient(faxId, recipient))!;
        }
        const current = attempts[attempts.length - 1];
        if (!current || current.attempt !== attempt || !current.result) throw new Error(`attempt ${attempt} of ${faxId}/r${recipient} has no outcome recorded yet`);
        if (current.handledAt) return;
        // A batched call (issue 14) is one call to the number: every fax in it learns under the
        // call's id, so it counts once in the number's failures, not once per fax.
        // Learning runs beside the record writes below (issue 18: its round trips were awaited
        // first) and is awaited before the next call is queued (whose refusal check reads what
        // was learned) and before the outcome is claimed (a re-run after the claim learns nothing).
        const learning = Promise.all([
          destinations.learn(r.number, { callId: current.batchedIn ?? `${faxId}-r${recipient}-a${attempt}`, result: current.result, reason: current.reason, pagesSent: current.pagesSent, at: current.endedAt ?? new Date().toISOString(), remote: current.remote }, destinationPolicy),
          dropQueuedCall(ctx.redis, prefix, fax.sender, faxId, recipient),
        ]);
        // Handled where it is awaited; this only keeps a failure meanwhile from counting as unhandled.
        learning.catch(() => undefined);
        const pagesSent = pagesConfirmed(attempts);
        const durationMs = attempts.reduce((s, a) => s + (a.durationMs ?? 0), 0);
        const connectedAttempts = attempts.filter((a) => a.result === 'success' || a.result === 'no-carrier' || a.result === 'failed').length;
        if (isFinished(r)) {
          // Cancelled (or given up at its kill time) while this call ran: fax-control queued the
          // result mail; the record gets the call's figures, and nothing is retried.
          await Promise.all([records.updateRecipient(faxId, recipient, { pagesSent: Math.min(pagesSent, r.pagesTotal ?? pagesSent), durationMs, connectedAttempts, remoteId: current.remoteId ?? r.remoteId, ...(r.cancelledAt && r.state !== 'cancelled' ? { state: 'cancelled' } : {}) }), learning]);
          await records.claimAttemptHandling(faxId, recipient, attempt, new Date().toISOString());
          await finishRecipient(ctx, faxId, recipient, fax.recipientCount);
          return;
        }
        const next = decideNext(attempts, r.pagesTotal ?? 0, policy());
        if (next.action === 'retry') {
          const [schedule] = await Promise.all([loadSchedule(ctx, fax, config), learning]);
          const at = new Date(Date.now() + next.delayMs).toISOString();
          if (schedule.killAt && Date.parse(at) >= Date.parse(schedule.killAt)) {
            await failRecipient(faxId, recipient, 'FAX_EXPIRED', `${schedule.killAt}; ${next.why} and the next call could not start before it`, { result: current.result, pagesSent, durationMs, connectedAttempts, remoteId: current.remoteId ?? r.remoteId });
          } else if (r.heldAt) {
            await records.updateRecipient(faxId, recipient, { state: 'held', nextAttemptAt: at, pagesSent, durationMs, connectedAttempts, result: current.result, reason: current.reason });
            await records.event(faxId, 'held', `by ${r.heldBy ?? 'an operator'}; attempt ${attempt + 1} waits for release (${next.why})`, recipient);
          } else {
            await records
              .change()
              .recipient(faxId, recipient, { state: 'retry-wait', nextAttemptAt: at, pagesSent, durationMs, connectedAttempts, result: current.result, reason: current.reason })
              .event(faxId, 'retry scheduled', `${next.why}; attempt ${attempt + 1} at ${at}${next.fromPage > 1 ? ` from page ${next.fromPage}` : ''}`, recipient)
              .exec();
            await queueCall(fax, { ...r, state: 'retry-wait', reason: current.reason }, attempt + 1, next.fromPage, next.delayMs);
            // Cancelled while this outcome was handled: the record says retry-wait again, and
            // the call just queued must not run.
            const after = await records.getRecipient(faxId, recipient);
            if (after?.cancelledAt && after.state !== 'cancelled') await records.updateRecipient(faxId, recipient, { state: 'cancelled', nextAttemptAt: undefined });
          }
          await records.claimAttemptHandling(faxId, recipient, attempt, new Date().toISOString());
          return;
        }
        // The recipient's end and its timeline line in one MULTI, before the result mail is queued.
        const ended = records
          .change()
          .recipient(faxId, recipient, {
            state: next.state,
            result: current.result,
            // undefined deletes the field: a recipient that was busy and then sent shows no
            // stale error, reason or retry time.
            errorCode: next.state === 'sent' ? undefined : next.code,
            reason: next.state === 'sent' ? undefined : next.code ? `${describeError(next.code)} (${next.reason})` : next.reason,
            pagesSent: next.pagesSent,
            durationMs,
            connectedAttempts,
            remoteId: current.remoteId ?? r.remoteId,
            finishedAt: new Date().toISOString(),
            nextAttemptAt: undefined,
          })
          .event(faxId, next.state === 'sent' ? 'sent' : 'failed', next.reason, recipient)
          .exec();
        await Promise.all([ended, learning]);
        await queues.add('result-mail', { faxId, recipient });
        // The claim and the finish mark together: both idempotent, and a crash between them
        // (claimed, not finished) left a fax that never closed, since a re-run stops at the claim.
        const [claimed] = await Promise.all([records.claimAttemptHandling(faxId, recipient, attempt, new Date().toISOString()), finishRecipient(ctx, faxId, recipient, fax.recipientCount)]);
        if (claimed) await observeFaxResult(ctx, faxId, { result: next.state, pool: r.pool ?? pool, reason: next.code, createdAt: fax.createdAt });
      },
    },
    { connection: ctx.workerConnection(), prefix, concurrency },
  );
  // Several workers fetch side by side (splitConcurrency): one worker of 50 fetched its jobs
  // one round trip at a time and started none while it fetched.
  return splitConcurrency(config.FAXGATE_DISPATCH_CONCURRENCY, JOBS_PER_DISPATCH_WORKER).map(makeWorker);
}

/** Scheduling decisions one BullMQ worker of dispatch makes at once at most. */
export const JOBS_PER_DISPATCH_WORKER = 10;
