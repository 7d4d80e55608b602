import { DelayedError, UnrecoverableError, createWorker, isFinalAttempt } from '@faxgate/queue';
import { describeError } from '@faxgate/errors';
import { failedByJob, reopenRecipient, type RoleContext } from '@faxgate/runtime';
import type { LineDriver } from '@faxgate/line-driver';
import type { LinePool } from './line-pool.ts';
import { createReceiveCallHandler } from './receive-call.ts';
import { createReceivedFaxSink } from './received-fax.ts';
import { createPollGuard } from './poll-guard.ts';
import { callIdPrefix, dropQueuedCall, failBeforeCall, isFinished, subscribeCallControl } from '@faxgate/fax-control';
import { dialPolicyRefusal, type DialRules } from '@faxgate/phone';
import { DestinationGate, Destinations, startRateFor } from '@faxgate/destinations';

/**
 * How long a call job's lock lives without renewal. BullMQ renews it every half of this while
 * the call runs, whatever the call's length, so a long fax keeps it; a node that dies stops
 * renewing and its call is found stalled within this plus the stalled-check interval (seconds,
 * so the next attempt starts soon and the record does not say "calling" for minutes). The
 * renewal needs the event loop: nothing on a node blocks it for seconds.
 */
export const CALL_LOCK_MS = 10_000;

/**
 * The worker of the pool's calls queue. place-call: takes a free line, runs the call through the
 * line driver, records the outcome, and hands the decision back to dispatch. An outcome already
 * recorded is never dialled again: a worker that crashed after the call but before reporting
 * only reports on its re-run, so a fax is not sent twice. poll-received: one poll of the pool's
 * fax server, for drivers that have one.
 */
export interface CallWorkerOptions {
  /** Calls at once to one number, over every node (HylaFAX MaxConcurrentCalls). */
  maxCallsPerDestination?: number;
  /** How soon a call that found its number busy with another of ours looks again. */
  destinationWaitMs?: number;
  /** The dial rules of the moment (runtime settings), checked once more before dialling. */
  dialRules?: () => DialRules;
}

/**
 * A call's hold on its number lasts this long unless renewed (every third of it while the call
 * runs): a node that dies frees the number within it.
 */
const DESTINATION_LEASE_MS = 30_000;

export function createCallWorker(ctx: RoleContext, pool: string, lines: LinePool, driver: LineDriver, opts: CallWorkerOptions = {}) {
  const gate = new DestinationGate(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const destinations = new Destinations(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const maxPerNumber = opts.maxCallsPerDestination ?? 1;
  const waitMs = opts.destinationWaitMs ?? 1000;
  const aborts = new Set<AbortController>();
  // Calls on this node's lines by call id, so a cancel or kill time can hang one up.
  const running = new Map<string, { ac: AbortController; stopped?: string }>();
  const stop = (prefix: string, reason: string) => {
    for (const [callId, call] of running) {
      if (!callId.startsWith(prefix) || call.stopped) continue;
      call.stopped = reason;
      call.ac.abort();
    }
  };
  const unsubscribe = subscribeCallControl(ctx.workerConnection(), ctx.base.FAXGATE_QUEUE_PREFIX, (m) => stop(callIdPrefix(m.faxId, m.recipient), m.reason));
  const receiveCall = createReceiveCallHandler(ctx, pool, lines, driver, aborts);
  const received = createReceivedFaxSink(ctx, pool);
  const pollGuard = createPollGuard(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, pool);
  const worker = createWorker(
    'calls',
    {
      'place-call': async ({ faxId, recipient, attempt, fromPage }, job) => {
        const previous = await ctx.records.getAttempt(faxId, recipient, attempt);
        if (previous && !previous.result && previous.startedAt) {
          // This job ran before and its node stopped mid-call (kill, crash, lost lock): the far
          // machine may have printed pages, recorded as each MCF arrived. The attempt ends here
          // as interrupted, with those pages, and dispatch resumes after them; dialling again
          // from `fromPage` would print them twice.
          const pagesSent = previous.pagesSent ?? 0;
          await ctx.records.updateAttempt(faxId, recipient, attempt, { result: 'no-carrier', interrupted: true, pagesSent, endedAt: new Date().toISOString(), reason: describeError('CALL_INTERRUPTED') });
          // The stopped node's hold on the number would otherwise last until its lease ends,
          // keeping the resumed call off the line.
          const stopped = await ctx.records.getRecipient(faxId, recipient);
          if (stopped) await gate.release(stopped.number, `${faxId}-r${recipient}-a${attempt}`);
          await ctx.records.event(faxId, 'call interrupted', `${pagesSent} page(s) confirmed before the node stopped`, recipient);
          ctx.log.warn({ faxId, recipient, attempt, pages: pagesSent }, 'call interrupted by a node that stopped; the outcome is recorded now');
        } else if (!previous?.result) {
          const r = await ctx.records.getRecipient(faxId, recipient);
          if (!r?.documentKey) throw new UnrecoverableError(describeError('RECORD_MISSING'));
          if (failedByJob(r)) await reopenRecipient(ctx, faxId, recipient, `call job ${job.id} retried`);
          else if (isFinished(r) || r.heldAt) return;
          // A dial rule tightened after this call was queued (runtime settings, issue 20): the
          // number is not dialled, and the sender is told why.
          const denied = opts.dialRules ? dialPolicyRefusal(r.number, opts.dialRules()) : undefined;
          if (denied) {
            const fax = await ctx.records.getFax(faxId);
            if (fax) await dropQueuedCall(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, fax.sender, faxId, recipient);
            await failBeforeCall(ctx, faxId, recipient, 'RCPT_NUMBER_DENIED', denied, {}, pool);
            ctx.log.warn({ faxId, recipient, number: r.number, reason: denied }, 'not dialled: the dial rules refuse the number now');
            return;
          }
          const callId = `${faxId}-r${recipient}-a${attempt}`;
          // One call at a time to a number (or N): a second fax to it waits, off the line, for
          // the first call to end, and keeps its place by priority when it comes back.
          if (!(await gate.acquire(r.number, callId, maxPerNumber, DESTINATION_LEASE_MS))) {
            await job.moveToDelayed(Date.now() + waitMs, job.token);
            throw new DelayedError(`${r.number} is on another call`);
          }
          const renewal = setInterval(() => void gate.renew(r.number, callId, DESTINATION_LEASE_MS).catch(() => {}), DESTINATION_LEASE_MS / 3);
          const document = await ctx.blobs.get(r.documentKey).catch(async (err) => {
            clearInterval(renewal);
            await gate.release(r.number, callId);
            throw err;
          });
          const line = lines.take(callId);
          const ac = new AbortController();
          aborts.add(ac);
          const control: { ac: AbortController; stopped?: string } = { ac };
          running.set(callId, control);
          ctx.metrics.callsActive.inc({ pool });
          // Confirmed pages are written in order as they arrive, and all are written before
          // the outcome.
          let confirmed = 0;
          let progress: Promise<void> = Promise.resolve();
          const onPageConfirmed = (n: number) => {
            confirmed = Math.max(confirmed, n);
            progress = progress.then(() => ctx.records.updateAttempt(faxId, recipient, attempt, { pagesSent: n })).catch((err) => ctx.log.error({ faxId, recipient, attempt, err: (err as Error).message }, 'could not record a confirmed page'));
          };
          try {
            const startedAt = new Date().toISOString();
            // Cancelled or held while this job was on its way: a control message sent before
            // the call was registered above is not needed, this read sees what it would say.
            const now = await ctx.records.getRecipient(faxId, recipient);
            if (now && (isFinished(now) || now.heldAt)) return;
            await ctx.records.updateAttempt(faxId, recipient, attempt, { attempt, startedAt, fromPage, line, pagesSent: 0 });
            await ctx.records.updateRecipient(faxId, recipient, { state: 'calling', attempts: attempt, nextAttemptAt: undefined });
            await ctx.records.event(faxId, 'dialing', `${r.dialString} on ${line}${fromPage > 1 ? `, from page ${fromPage}` : ''}`, recipient);
            let outcome;
            try {
              // Start lower where this number refused faster rates before (destination memory).
              const maxBps = startRateFor(await destinations.get(r.number).catch(() => undefined));
              outcome = await driver.send({ callId, number: r.number, dialString: r.dialString, document, fromPage, line, onPageConfirmed, ...(maxBps ? { maxBps } : {}) }, ac.signal);
            } catch (err) {
              await progress;
              if (control.stopped) {
                // Hung up on purpose (cancel, kill time): an outcome, never a retry of the job.
                outcome = { result: confirmed > 0 ? ('no-carrier' as const) : ('failed' as const), pagesSent: confirmed, durationMs: Date.now() - Date.parse(startedAt), reason: control.stopped };
              } else {
              // A driver that cannot place the call (fax server down, socket error) is retried
              // with backoff; after the last try the attempt counts as failed, so dispatch's
              // retry policy decides and the sender hears about it instead of the fax staying
              // "calling" for ever. Once a page was confirmed the call did happen: it is an
              // outcome, never a retry of the same attempt from the same page.
              if (confirmed === 0 && !isFinalAttempt(job)) {
                await ctx.records.updateAttempt(faxId, recipient, attempt, { startedAt: undefined });
                throw err;
              }
              outcome = { result: confirmed > 0 ? ('no-carrier' as const) : ('failed' as const), pagesSent: confirmed, durationMs: 0, reason: `${describeError('CALL_FAILED')}: ${(err as Error).message}` };
              }
            }
            await progress;
            outcome = { ...outcome, pagesSent: Math.max(outcome.pagesSent, confirmed) };
            // A driver that hung up cleanly on the abort (T.38 sends DCN) still ends the call
            // for the reason it was stopped, unless every page got through first.
            if (control.stopped && outcome.result !== 'success') outcome = { ...outcome, result: outcome.pagesSent > 0 ? ('no-carrier' as const) : ('failed' as const), reason: control.stopped };
            ctx.metrics.calls.inc({ pool, direction: 'outgoing', result: outcome.result });
            if (outcome.durationMs > 0) ctx.metrics.callDuration.observe({ pool, direction: 'outgoing' }, outcome.durationMs / 1000);
            ctx.metrics.pagesSent.inc({ pool }, outcome.pagesSent);
            await ctx.records.updateAttempt(faxId, recipient, attempt, { ...outcome, endedAt: new Date().toISOString() });
            await ctx.records.event(faxId, `call ${outcome.result}`, `${outcome.pagesSent} page(s)${outcome.reason ? `; ${outcome.reason}` : ''}`, recipient);
            ctx.log.info({ faxId, recipient, attempt, line, result: outcome.result, pages: outcome.pagesSent }, 'call finished');
          } finally {
            aborts.delete(ac);
            running.delete(callId);
            clearInterval(renewal);
            await gate.release(r.number, callId).catch((err) => ctx.log.warn({ faxId, recipient, err: (err as Error).message }, 'could not free the number; its lease ends by itself'));
            ctx.metrics.callsActive.dec({ pool });
            lines.release(line);
          }
        }
        await ctx.queues.add('call-outcome', { faxId, recipient, attempt });
      },
      // Incoming calls offered by `faxgate sim receive` share the pool's lines with outgoing ones.
      'receive-call': receiveCall,
      // A poll of the pool's fax server, queued by the leader's job scheduler. BullMQ gives each
      // poll job to one worker; the guard skips a poll while an earlier one still runs (a slow
      // server outlasting the interval), here or on another node.
      'poll-received': async () => {
        const pollReceived = driver.pollReceived?.bind(driver);
        if (!pollReceived) return 'this driver does not poll';
        return (await pollGuard.run(() => pollReceived(received))) ? 'polled' : 'skipped: a poll of the pool is still running';
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, pool, concurrency: lines.size, lockDuration: CALL_LOCK_MS },
  );
  worker.on('closed', () => void unsubscribe.then((end) => end()).catch(() => {}));
  return { worker, abortAll: () => aborts.forEach((a) => a.abort()) };
}
