import { UnrecoverableError, createWorker } from '@faxgate/queue';
import { describeError } from '@faxgate/errors';
import { dialPolicyRefusal, dialRulesFromConfig } from '@faxgate/phone';
import type { AttemptRecord } from '@faxgate/store';
import { failedByJob, observeFaxResult, reopenRecipient, type RoleContext } from '@faxgate/runtime';
import type { DispatchConfig } from './config.ts';
import { decideNext, pagesConfirmed, type RetryPolicy } from './retry-policy.ts';
import { finishRecipient as finishRecipientOf } from './recipient-finish.ts';

/**
 * dispatch: hands each recipient's fax to a line pool and decides, after every call, whether to
 * retry (and when) or to finish and tell the sender. Every step is idempotent: job ids are
 * derived from (fax, recipient, attempt), so a step re-run after a crash queues nothing twice.
 */
export function createDispatchWorker(ctx: RoleContext, config: DispatchConfig) {
  const policy: RetryPolicy = {
    busyDelayMs: config.FAXGATE_RETRY_BUSY_DELAY,
    noAnswerDelayMs: config.FAXGATE_RETRY_NO_ANSWER_DELAY,
    failedDelayMs: config.FAXGATE_RETRY_FAILED_DELAY,
    maxDials: config.FAXGATE_RETRY_MAX_DIALS,
    maxTries: config.FAXGATE_RETRY_MAX_TRIES,
    resume: config.FAXGATE_RETRY_RESUME,
  };
  const pool = config.FAXGATE_DISPATCH_POOL;
  const dialRules = dialRulesFromConfig(config);
  const { records, queues } = ctx;

  const finishRecipient = (faxId: string, recipient: number) => finishRecipientOf(ctx, faxId, recipient);

  return createWorker(
    'dispatch',
    {
      'schedule-recipient': async ({ faxId, recipient }) => {
        const r = await records.getRecipient(faxId, recipient);
        if (!r) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        if (r.state === 'sent' || r.state === 'failed' || r.attempts > 0) return;
        // The same dial policy as ingest's RCPT check, under this process's configuration: a
        // number the policy no longer allows is never dialled, and the sender is told why.
        const refusal = dialPolicyRefusal(r.number, dialRules);
        if (refusal) {
          await records.updateRecipient(faxId, recipient, { state: 'failed', errorCode: 'RCPT_NUMBER_DENIED', reason: `${describeError('RCPT_NUMBER_DENIED')} (${refusal})`, finishedAt: new Date().toISOString() });
          await queues.add('result-mail', { faxId, recipient });
          await records.event(faxId, 'failed', refusal, recipient);
          await observeFaxResult(ctx, faxId, { result: 'failed', pool, reason: 'RCPT_NUMBER_DENIED' });
          await finishRecipient(faxId, recipient);
          return;
        }
        await records.updateRecipient(faxId, recipient, { pool });
        await queues.add('place-call', { faxId, recipient, attempt: 1, fromPage: 1 }, { pool });
        await records.event(faxId, 'queued for a line', `pool ${pool}`, recipient);
      },
      'call-outcome': async ({ faxId, recipient, attempt }, job) => {
        const r = await records.getRecipient(faxId, recipient);
        if (!r) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        // An operator's Retry of this job after the reconciler failed the recipient for it.
        if (failedByJob(r)) await reopenRecipient(ctx, faxId, recipient, `outcome job ${job.id} retried`);
        const attempts: AttemptRecord[] = [];
        for (let n = 1; n <= attempt; n++) {
          const a = await records.getAttempt(faxId, recipient, n);
          if (a) attempts.push(a);
        }
        const current = attempts[attempts.length - 1];
        if (!current || current.attempt !== attempt || !current.result) throw new Error(`attempt ${attempt} of ${faxId}/r${recipient} has no outcome recorded yet`);
        if (current.handledAt) return;
        const next = decideNext(attempts, r.pagesTotal ?? 0, policy);
        const pagesSent = pagesConfirmed(attempts);
        const durationMs = attempts.reduce((s, a) => s + (a.durationMs ?? 0), 0);
        const connectedAttempts = attempts.filter((a) => a.result === 'success' || a.result === 'no-carrier' || a.result === 'failed').length;
        if (next.action === 'retry') {
          const at = new Date(Date.now() + next.delayMs).toISOString();
          await records.updateRecipient(faxId, recipient, { state: 'retry-wait', nextAttemptAt: at, pagesSent, durationMs, connectedAttempts, result: current.result, reason: current.reason });
          await queues.add('place-call', { faxId, recipient, attempt: attempt + 1, fromPage: next.fromPage }, { pool, delay: next.delayMs });
          await records.event(faxId, 'retry scheduled', `${next.why}; attempt ${attempt + 1} at ${at}${next.fromPage > 1 ? ` from page ${next.fromPage}` : ''}`, recipient);
        } else {
          await records.updateRecipient(faxId, recipient, {
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
          });
          await queues.add('result-mail', { faxId, recipient });
          await records.event(faxId, next.state === 'sent' ? 'sent' : 'failed', next.reason, recipient);
          if (await records.claimAttemptHandling(faxId, recipient, attempt, new Date().toISOString())) {
            await observeFaxResult(ctx, faxId, { result: next.state, pool: r.pool ?? pool, reason: next.code });
          }
          await finishRecipient(faxId, recipient);
          return;
        }
        await records.claimAttemptHandling(faxId, recipient, attempt, new Date().toISOString());
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, concurrency: config.FAXGATE_DISPATCH_CONCURRENCY },
  );
}
