import { DelayedError, UnrecoverableError, createWorker, isFinalAttempt, splitConcurrency } from '@faxgate/queue';
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
import type { CallOutcome } from '@faxgate/line-driver';
import { BatchClaims } from './batch-claims.ts';
import { CallLiveness } from './call-liveness.ts';
import { gatherBatch, type Batch } from './batch-gather.ts';
import { partOffsets, sharesOfCall } from './batch-shares.ts';
import type { QuietHours } from '@faxgate/quiet-hours';

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
  /** Batching (issue 14): faxes waiting for a number go out in its next call; off when unset. */
  batch?: { maxFaxes: number; maxPages: number };
  /** The destinations' quiet hours of the moment (runtime settings), checked once more before a line is taken. */
  quietHours?: () => QuietHours;
}

/**
 * A call's hold on its number lasts this long unless renewed (every third of it while the call
 * runs): a node that dies frees the number within it.
 */
const DESTINATION_LEASE_MS = 30_000;

/**
 * How long a call's liveness mark (call-liveness.ts) lasts unless renewed; renewed every quarter
 * of it, so an event loop up to 15 s late does not let it lapse (the call job's 10 s lock,
 * renewed every 5 s, lapsed at 2.5 s of lag: docs/performance.md). A job run again while its
 * call goes on (its queue lock lapsed) waits while the mark is there; a node that really died is
 * declared so 15-20 s after it died, plus a re-check (destinationWaitMs): docs/crash-safety.md.
 * Shorter than the number's lease, so the re-run acts (follows a fax server's job, or frees
 * the number for the resumed call) while the dead node's hold still keeps other calls off it.
 */
export const CALL_ALIVE_MS = 20_000;
const CALL_ALIVE_RENEW_MS = CALL_ALIVE_MS / 4;

/**
 * How long a batch keeps the faxes it took along on a driver whose calls go on without the node
 * (`recover`, a fax server's queue): a node that dies leaves the server still sending them, so
 * they must not go out alone once the lease lapses; the re-run of the lead's job records their
 * shares and gives them back, within seconds of a node of the pool running. This only bounds a
 * lead that never runs again; it outlasts the HylaFAX driver's 15 min call timeout.
 */
const SERVER_CALL_CLAIM_MS = 20 * 60_000;

/**
 * Jobs the call worker runs beyond its lines: calls made ready (records read, the number's gate
 * taken, the document loaded) that wait for a line, so a freed line starts its next call at once
 * instead of after a queue fetch and a dozen round trips (issues 14/18). One per line: calls
 * that are queued together and equally long end together, and a whole wave of lines frees at
 * once; with a quarter of the lines ready, the other three quarters waited for fetch and
 * preparation (lines-busy bench, 1,000 lines: p99 line free → next call in seconds), while one
 * ready call per line starts every freed line at once and leaves a whole call's time to make
 * the next one ready. Ready calls take freed lines in the calls queue's order (LinePool), so an
 * urgent call fetched later still takes the next free line; what it waits for is a worker slot,
 * i.e. the end of one call. A node with fewer than four lines keeps none ready: there the first
 * line to free takes the most urgent call from the queue, as before. Each ready call holds its
 * document and its number's gate meanwhile: at most 1,000 per node.
 */
export function readyCalls(lineCount: number): number {
  return lineCount < 4 ? 0 : Math.min(1000, lineCount);
}

export function createCallWorker(ctx: RoleContext, pool: string, lines: LinePool, driver: LineDriver, opts: CallWorkerOptions = {}) {
  const gate = new DestinationGate(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const destinations = new Destinations(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const maxPerNumber = opts.maxCallsPerDestination ?? 1;
  const waitMs = opts.destinationWaitMs ?? 1000;
  // Only drivers that send several documents in one call (T.30 EOM) batch.
  const batching = opts.batch && driver.multiDocument ? opts.batch : undefined;
  const claims = new BatchClaims(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const liveness = new CallLiveness(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const claimLeaseMs = driver.recover ? SERVER_CALL_CLAIM_MS : DESTINATION_LEASE_MS;
  /**
   * A batch's call ended (or its node stopped): every member's share is recorded, and its claim
   * given back, so its own job reports it or (not reached) sends it alone.
   */
  const settleMembers = async (leadCallId: string, members: { faxId: string; recipient: number; attempt: number; callId: string }[]) => {
    // Sent together; Redis runs them in this order.
    await Promise.all([claims.release(leadCallId, members.map((m) => m.callId)), claims.forget(leadCallId)]);
  };
  const aborts = new Set<AbortController>();
  // Aborted when the worker closes or pauses (drain): calls still waiting for a line give their
  // job back instead of starting.
  let standDown = new AbortController();
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
  /** A member's attempt starts when its document is next on the line. */
  const startMember = (m: Batch['members'][number], line: string, leadCallId: string) =>
    ctx.records
      .change()
      .attempt(m.faxId, m.recipient, m.attempt, { attempt: m.attempt, startedAt: new Date().toISOString(), fromPage: m.fromPage, line, pagesSent: 0, batchedIn: leadCallId })
      .recipient(m.faxId, m.recipient, { state: 'calling', attempts: m.attempt, nextAttemptAt: undefined })
      .exec();
  /**
   * Splits a batched call's outcome between its faxes (batch-shares.ts), records each member's
   * own attempt outcome and hands it to dispatch; returns the lead's own share.
   */
  const recordShares = async (batch: Batch, parts: NonNullable<Batch['parts']>, outcome: CallOutcome, startedAt: string, line: string, endedAt: string): Promise<CallOutcome> => {
    const shares = sharesOfCall(parts, outcome.pagesSent, outcome.result === 'success');
    const totalPages = Math.max(1, outcome.pagesSent);
    const shareOf = (i: number): CallOutcome => {
      const s = shares[i];
      // Line time is shared by confirmed pages, for accounting per sender.
      const durationMs = outcome.pagesSent > 0 ? Math.round((outcome.durationMs * s.pagesSent) / totalPages) : outcome.durationMs;
      const common = { remoteId: outcome.remoteId, remote: outcome.remote, durationMs };
      return s.state === 'done' ? { ...common, result: 'success', pagesSent: s.pagesSent, reason: undefined } : { ...common, result: outcome.result, pagesSent: s.pagesSent, reason: outcome.reason };
    };
    for (let i = 1; i < parts.length; i++) {
      const m = batch.members[i - 1];
      const s = shares[i];
      if (s.state === 'not-reached') continue;
      const own = shareOf(i);
      const before = await ctx.records.getAttempt(m.faxId, m.recipient, m.attempt);
      if (!before?.startedAt) await ctx.records.updateAttempt(m.faxId, m.recipient, m.attempt, { attempt: m.attempt, startedAt, fromPage: m.fromPage, line, batchedIn: parts[0].callId });
      await ctx.records.updateRecipient(m.faxId, m.recipient, { attempts: m.attempt });
      await ctx.records.updateAttempt(m.faxId, m.recipient, m.attempt, { ...own, endedAt });
      await ctx.records.event(m.faxId, `call ${own.result}`, `${own.pagesSent} page(s), batched in ${parts[0].callId}${own.reason ? `; ${own.reason}` : ''}`, m.recipient);
      await ctx.queues.add('call-outcome', { faxId: m.faxId, recipient: m.recipient, attempt: m.attempt });
    }
    return { ...outcome, ...shareOf(0) };
  };
  /**
   * A call whose node stopped mid-call, on a driver whose calls go on without it (HylaFAX's
   * queue): its end is awaited where it runs and recorded as the attempt's outcome, each batch
   * member's share too, so nothing is dialled again. False: the call never left the node.
   */
  const followStopped = async (recover: NonNullable<LineDriver['recover']>, call: { faxId: string; recipient: number; attempt: number; callId: string }, previous: { startedAt: string; fromPage: number; line?: string }, pagesTotal: number): Promise<boolean> => {
    // Followed here: a run of the job beside this one (its lock lapsed) waits, as for a call.
    const kept = await liveness.keep(call.callId, CALL_ALIVE_MS, CALL_ALIVE_RENEW_MS);
    const ac = new AbortController();
    aborts.add(ac);
    try {
      return await followToEnd(recover, call, previous, pagesTotal, ac);
    } finally {
      aborts.delete(ac);
      // Once its outcome is recorded (or the call is placed as new): a later run reports it.
      await kept.end().catch(() => {});
    }
  };
  const followToEnd = async (recover: NonNullable<LineDriver['recover']>, call: { faxId: string; recipient: number; attempt: number; callId: string }, previous: { startedAt: string; fromPage: number; line?: string }, pagesTotal: number, ac: AbortController): Promise<boolean> => {
    const { faxId, recipient, attempt, callId } = call;
    let outcome = await recover(callId, ac.signal);
    if (!outcome) return false;
    const endedAt = new Date().toISOString();
    const line = previous.line ?? `${driver.name}/recovered`;
    // The faxes the call took along, in the order their documents went out (batch-gather.ts).
    const members = (await claims.members(callId)).map((m) => ({ ...m, callId: `${m.faxId}-r${m.recipient}-a${m.attempt}` }));
    ctx.metrics.calls.inc({ pool, direction: 'outgoing', result: outcome.result });
    ctx.metrics.pagesSent.inc({ pool }, outcome.pagesSent);
    if (members.length) {
      const totals = await Promise.all(members.map((m) => ctx.records.getRecipient(m.faxId, m.recipient).then((x) => x?.pagesTotal ?? 0)));
      const parts = [{ callId, fromPage: previous.fromPage, pages: pagesTotal - (previous.fromPage - 1) }, ...members.map((m, i) => ({ callId: m.callId, fromPage: m.fromPage, pages: totals[i] - (m.fromPage - 1) }))];
      outcome = await recordShares({ members, parts, document: new Uint8Array() }, parts, outcome, previous.startedAt, line, endedAt);
    }
    await ctx.records.change().attempt(faxId, recipient, attempt, { ...outcome, endedAt }).event(faxId, `call ${outcome.result}`, `${outcome.pagesSent} page(s), followed on the fax server after the node stopped${outcome.reason ? `; ${outcome.reason}` : ''}`, recipient).exec();
    ctx.log.info({ faxId, recipient, attempt, result: outcome.result, pages: outcome.pagesSent }, 'call of a stopped node followed to its end on the fax server');
    await settleMembers(callId, [{ faxId, recipient, attempt, callId }, ...members]);
    return true;
  };
  const receiveCall = createReceiveCallHandler(ctx, pool, lines, driver, aborts);
  const received = createReceivedFaxSink(ctx, pool);
  const pollGuard = createPollGuard(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, pool);
  const makeWorker = (concurrency: number) => createWorker(
    'calls',
    {
      'place-call': async ({ faxId, recipient, attempt, fromPage }, job) => {
        const callId = `${faxId}-r${recipient}-a${attempt}`;
        // Taken along by another fax's call to the number: that call records this fax's share
        // and gives the claim back; until then this job only looks again. Looked at whatever
        // this node's batching setting, so a node without batching never dials a fax that a
        // batching node's call carries. The claim is read before the attempt: a call writes its
        // shares before it gives the claims back, so a claim seen gone means the share is there.
        // The four reads leave together, in this order, on one connection: one round trip.
        const [owner, previous, r, alive] = await Promise.all([claims.owner(callId), ctx.records.getAttempt(faxId, recipient, attempt), ctx.records.getRecipient(faxId, recipient), liveness.alive(callId)]);
        if (owner && owner !== callId && !previous?.result) {
          await job.moveToDelayed(Date.now() + waitMs, job.token);
          throw new DelayedError(`sent in call ${owner}`);
        }
        // An earlier run of this job still runs its call (or waits for a line, or follows it on
        // the fax server) on a live node: its queue lock lapsed, the node did not die (issue 17).
        // Declaring that call interrupted, or dialling again, would print its pages twice; this
        // run looks again until the call records its outcome (then it only reports, below) or
        // its mark lapses (its node died: interrupted, below).
        if (alive && !previous?.result) {
          await job.moveToDelayed(Date.now() + waitMs, job.token);
          throw new DelayedError(`call ${callId} still runs on a live node`);
        }
        let stopped = !!(previous && !previous.result && previous.startedAt);
        if (stopped && driver.recover) {
          // Its call may still run where the driver put it (a fax server's queue): followed there
          // to its end, never dialled again. One that never got there is placed as if new.
          // Meanwhile the call holds its number as it did before its node stopped (that hold
          // lapsed with the node's lease), so no other fax to the number is dialled beside it.
          let followed = false;
          const number = r?.number;
          if (number) await gate.hold(number, callId, DESTINATION_LEASE_MS);
          const renewal = number ? setInterval(() => void gate.renew(number, callId, DESTINATION_LEASE_MS).catch(() => {}), DESTINATION_LEASE_MS / 3) : undefined;
          try {
            followed = await followStopped(driver.recover, { faxId, recipient, attempt, callId }, previous!, r?.pagesTotal ?? 0);
          } finally {
            clearInterval(renewal);
            // Placed as if new below, the call takes its slot again under the limit.
            if (number) await gate.release(number, callId);
          }
          if (followed) {
            await ctx.queues.add('call-outcome', { faxId, recipient, attempt });
            return;
          }
          await ctx.records.updateAttempt(faxId, recipient, attempt, { startedAt: undefined });
          stopped = false;
        }
        if (stopped && previous) {
          // This job ran before and its node stopped mid-call (kill, crash, lost lock): the far
          // machine may have printed pages, recorded as each MCF arrived. The attempt ends here
          // as interrupted, with those pages, and dispatch resumes after them; dialling again
          // from `fromPage` would print them twice.
          const pagesSent = previous.pagesSent ?? 0;
          await ctx.records.updateAttempt(faxId, recipient, attempt, { result: 'no-carrier', interrupted: true, pagesSent, endedAt: new Date().toISOString(), reason: describeError('CALL_INTERRUPTED') });
          // The stopped node's hold on the number would otherwise last until its lease ends,
          // keeping the resumed call off the line.
          if (r) await gate.release(r.number, `${faxId}-r${recipient}-a${attempt}`);
          await ctx.records.event(faxId, 'call interrupted', `${pagesSent} page(s) confirmed before the node stopped`, recipient);
          ctx.log.warn({ faxId, recipient, attempt, pages: pagesSent }, 'call interrupted by a node that stopped; the outcome is recorded now');
          // The faxes this call took along: the ones whose document had started end the same
          // way, with their own confirmed pages; the others were never on the line and go alone.
          const members = await claims.members(callId);
          for (const m of members) {
            const a = await ctx.records.getAttempt(m.faxId, m.recipient, m.attempt);
            // Only a document that started in this call: a member whose claim lapsed before it
            // was reached may be on a call of its own by now, and that call records itself.
            if (!a?.startedAt || a.result || a.batchedIn !== callId) continue;
            await ctx.records.updateAttempt(m.faxId, m.recipient, m.attempt, { result: 'no-carrier', interrupted: true, pagesSent: a.pagesSent ?? 0, endedAt: new Date().toISOString(), reason: describeError('CALL_INTERRUPTED') });
            await ctx.records.event(m.faxId, 'call interrupted', `${a.pagesSent ?? 0} page(s) confirmed before the node stopped (batched in ${callId})`, m.recipient);
            await ctx.queues.add('call-outcome', { faxId: m.faxId, recipient: m.recipient, attempt: m.attempt });
          }
          await settleMembers(callId, members.map((m) => ({ ...m, callId: `${m.faxId}-r${m.recipient}-a${m.attempt}` })));
        } else if (!previous?.result) {
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
          // Quiet hours again (dispatch checked them when it queued the call): a call that waited
          // for a line or for its number into the window, or one the reconciler queued again,
          // is put off to the window's end before it takes a line. Not an attempt: nothing was
          // dialled, so no attempt record is written and the job's own attempts are not spent.
          const quiet = opts.quietHours?.().waitFor(r.number, Date.now());
          if (quiet) {
            const until = new Date(quiet.until).toISOString();
            if (batching) await claims.stopWaiting(r.number, { faxId, recipient, attempt, fromPage });
            await ctx.records.updateRecipient(faxId, recipient, { nextAttemptAt: until });
            await ctx.records.event(faxId, 'waiting for quiet hours to end', `${quiet.why}: not dialled before ${until} (seen when the call was about to take a line)`, recipient);
            await job.moveToDelayed(quiet.until, job.token);
            throw new DelayedError(`quiet hours for ${r.number} until ${until}`);
          }
          const me = { faxId, recipient, attempt, fromPage };
          // One call at a time to a number (or N): a second fax to it waits, off the line, for
          // the first call to end, and keeps its place by priority when it comes back; with
          // batching it says it waits, so the number's next call can take it along.
          if (!(await gate.acquire(r.number, callId, maxPerNumber, DESTINATION_LEASE_MS))) {
            if (batching) await claims.wait(r.number, me);
            await job.moveToDelayed(Date.now() + waitMs, job.token);
            throw new DelayedError(`${r.number} is on another call`);
          }
          // Claimed by a batch between the look above and the gate: that call sends it. And the
          // faxes an earlier run of this job took along before it stopped short of dialling.
          // One round trip: claimSelf is answered before the list is read.
          const [, carrier, stale] = await Promise.all([batching ? claims.stopWaiting(r.number, me) : undefined, claims.claimSelf(callId, claimLeaseMs), claims.members(callId)]);
          if (carrier !== callId) {
            await gate.release(r.number, callId);
            await job.moveToDelayed(Date.now() + waitMs, job.token);
            throw new DelayedError(`sent in call ${carrier}`);
          }
          // That earlier run's members go back. The call is this run's from here: marked alive
          // until its outcome is recorded or the job is given back.
          const [kept] = await Promise.all([liveness.keep(callId, CALL_ALIVE_MS, CALL_ALIVE_RENEW_MS), stale.length ? settleMembers(callId, stale.map((m) => ({ ...m, callId: `${m.faxId}-r${m.recipient}-a${m.attempt}` }))) : undefined]);
          let batch: Batch | undefined;
          const claimed = () => [callId, ...(batch?.members.map((m) => m.callId) ?? [])];
          const renewal = setInterval(() => {
            void gate.renew(r.number, callId, DESTINATION_LEASE_MS).catch(() => {});
            void claims.renew(callId, claimed(), claimLeaseMs).catch(() => {});
          }, DESTINATION_LEASE_MS / 3);
          let document: Uint8Array;
          let maxBps: number | undefined;
          try {
            // Start lower where this number refused faster rates before (destination memory);
            // read beside the document, not after it.
            [document, maxBps] = await Promise.all([ctx.blobs.get(r.documentKey), destinations.get(r.number).then(startRateFor, () => undefined)]);
            if (batching) {
              batch = await gatherBatch(ctx, claims, { callId, number: r.number, fromPage, document }, { ...batching, freshMs: Math.max(5 * waitMs, 5000), leaseMs: claimLeaseMs });
            }
          } catch (err) {
            clearInterval(renewal);
            if (batch) await settleMembers(callId, batch.members);
            await Promise.all([gate.release(r.number, callId), kept.end()]);
            throw err;
          }
          const parts = batch?.parts;
          const offsets = parts ? partOffsets(parts) : [];
          const memberStarted = new Set<number>();
          const ac = new AbortController();
          aborts.add(ac);
          const control: { ac: AbortController; stopped?: string } = { ac };
          running.set(callId, control);
          // A batch member cancelled (or given up, or held) during the call: the call hangs up
          // once its document is on the line, or at the boundary before it, so none of its pages
          // go out after that; the faxes after it were not reached and go alone.
          let memberHangup: string | undefined;
          const hangUpFor = (m: { faxId: string }, why: string) => {
            if (memberHangup || control.stopped) return;
            memberHangup = `hung up for ${m.faxId}: ${why}`;
            ac.abort();
          };
          const memberControls = (batch?.members ?? []).map((m, k) => {
            const mc = { ac: new AbortController(), stopped: undefined as string | undefined };
            mc.ac.signal.addEventListener('abort', () => {
              if (memberStarted.has(k + 1)) hangUpFor(m, mc.stopped ?? 'stopped');
            });
            running.set(m.callId, mc);
            return mc;
          });
          // Ready to dial (the calls above are registered, so a cancel from now on is heard):
          // the worker runs more jobs than there are lines, so this call usually waits here,
          // in the queue's order, for the next line to free, and starts the moment it does.
          let line: string;
          try {
            line = await lines.acquire(callId, standDown.signal, job.opts.priority ?? 0);
          } catch {
            // The node stops or drains before a line came: nothing was dialled, and the job
            // goes back to the queue for a node that takes calls, its holds given back.
            aborts.delete(ac);
            running.delete(callId);
            for (const m of batch?.members ?? []) running.delete(m.callId);
            clearInterval(renewal);
            await Promise.all([settleMembers(callId, [{ faxId, recipient, attempt, callId }, ...(batch?.members ?? [])]), gate.release(r.number, callId), kept.end()]);
            await job.moveToDelayed(Date.now() + waitMs, job.token);
            throw new DelayedError('the node stopped taking calls before this one had a line');
          }
          ctx.metrics.callsActive.inc({ pool });
          let lineHeld = true;
          let endedAt: string | undefined;
          // The line is free as soon as the driver is done with it; the records are written
          // after, while the next call already uses it.
          const freeLine = () => {
            endedAt ??= new Date().toISOString();
            if (!lineHeld) return;
            lineHeld = false;
            ctx.metrics.callsActive.dec({ pool });
            lines.release(line);
          };
          // Confirmed pages are written in order as they arrive, and all are written before
          // the outcome.
          let confirmed = 0;
          let progress: Promise<void> = Promise.resolve();
          // Batch: each member's start, in document order, and the pages recorded per document
          // (a finished document is not written again at every later page; a failed write is
          // tried again at the next page).
          const memberStarts = new Map<number, Promise<boolean>>();
          let starting: Promise<boolean> = Promise.resolve(true);
          const startReplies = new Map<number, Promise<unknown>>();
          const recorded: number[] = [];
          const record = (i: number, own: number, write: () => Promise<unknown>) => {
            recorded[i] = own;
            return write().catch((err) => {
              recorded[i] = 0;
              throw err;
            });
          };
          const onPageConfirmed = (n: number) => {
            confirmed = Math.max(confirmed, n);
            if (!parts || !batch) {
              // The write leaves now, in the turn the MCF arrived (T.30 §5.3.6.2.7: the page is
              // on the far machine's paper), not after the previous page's reply: chained, a
              // slow Redis (restarting, loaded) left a printed page unrecorded for a whole page
              // time, and a node killed then sent it again (chaos: page 3 printed twice). One
              // connection keeps the writes in order.
              const write = ctx.records.updateAttempt(faxId, recipient, attempt, { pagesSent: n }).catch((err) => ctx.log.error({ faxId, recipient, attempt, err: (err as Error).message }, 'could not record a confirmed page'));
              progress = progress.then(() => write);
              return;
            }
            // Each fax of the batch gets its own confirmed pages, written in the MCF's turn as
            // above (chained, the lead's pages and a member's waited for every earlier reply:
            // with Redis slow, a node killed then printed them again). Only a member's start is
            // chained, in document order: when every document before it is confirmed (its pages
            // come next, after EOM) its record is read (it may have been stopped meanwhile) and
            // its attempt started; its pages' writes wait for that read, not for later replies.
            const b = batch;
            const writes: Promise<unknown>[] = [];
            for (let i = 0; i < parts.length; i++) {
              const own = Math.max(0, Math.min(n - offsets[i], parts[i].pages));
              if (i === 0) {
                if (own > (recorded[0] ?? 0)) writes.push(record(0, own, () => ctx.records.updateAttempt(faxId, recipient, attempt, { pagesSent: own })));
                continue;
              }
              if (n < offsets[i]) break;
              const m = b.members[i - 1];
              let started = memberStarts.get(i);
              if (!started) {
                started = starting.then(async (go) => {
                  if (!go) return false;
                  // The boundary before its document: not sent if it was stopped meanwhile.
                  const now = await ctx.records.getRecipient(m.faxId, m.recipient);
                  const why = memberControls[i - 1].stopped ?? (now && isFinished(now) ? `it ended (${now.state})` : now?.heldAt ? 'it was held' : undefined);
                  if (why) {
                    hangUpFor(m, why);
                    return false;
                  }
                  memberStarted.add(i);
                  // Its pages' writes follow the start's MULTI on the one connection, so they
                  // leave once it is issued, not after its reply.
                  startReplies.set(i, startMember(m, line, callId));
                  return true;
                });
                // A start that failed (Redis) is tried again at the next page, in its turn.
                started.catch(() => memberStarts.delete(i));
                memberStarts.set(i, started);
                starting = started.catch(() => true);
                writes.push(started.then(() => startReplies.get(i)));
              }
              if (own > (recorded[i] ?? 0)) writes.push(record(i, own, () => started.then((go) => (go ? ctx.records.updateAttempt(m.faxId, m.recipient, m.attempt, { pagesSent: own }) : undefined))));
            }
            const done = Promise.all(writes).then(() => undefined, (err) => ctx.log.error({ faxId, recipient, attempt, err: (err as Error).message }, 'could not record a confirmed page'));
            progress = progress.then(() => done);
          };
          try {
            const startedAt = new Date().toISOString();
            // Cancelled or held while this job was on its way: a control message sent before
            // the call was registered above is not needed, this read sees what it would say.
            const now = await ctx.records.getRecipient(faxId, recipient);
            if (now && (isFinished(now) || now.heldAt)) return;
            // The call's start is one MULTI: attempt, recipient and timeline land together.
            const start = ctx.records
              .change()
              .attempt(faxId, recipient, attempt, { attempt, startedAt, fromPage, line, pagesSent: 0 })
              .recipient(faxId, recipient, { state: 'calling', attempts: attempt, nextAttemptAt: undefined })
              .event(faxId, 'dialing', `${r.dialString} on ${line}${fromPage > 1 ? `, from page ${fromPage}` : ''}${batch ? `, with ${batch.members.length} other fax(es) to the number in the same call` : ''}`, recipient);
            for (const m of batch?.members ?? []) start.event(m.faxId, 'batched', `in the call of ${faxId} on ${line}, after its pages`, m.recipient);
            await start.exec();
            let outcome;
            try {
              outcome = await driver.send({ callId, number: r.number, dialString: r.dialString, document: batch?.document ?? document, fromPage: batch ? 1 : fromPage, line, onPageConfirmed, ...(maxBps ? { maxBps } : {}), ...(parts ? { parts } : {}) }, ac.signal).finally(freeLine);
            } catch (err) {
              await progress;
              if (control.stopped) {
                // Hung up on purpose (cancel, kill time): an outcome, never a retry of the job.
                outcome = { result: confirmed > 0 ? ('no-carrier' as const) : ('failed' as const), pagesSent: confirmed, durationMs: Date.now() - Date.parse(startedAt), reason: control.stopped };
              } else if (memberHangup) {
                outcome = { result: confirmed > 0 ? ('no-carrier' as const) : ('failed' as const), pagesSent: confirmed, durationMs: Date.now() - Date.parse(startedAt), reason: memberHangup };
              } else {
              // A driver that cannot place the call (fax server down, socket error) is retried
              // with backoff; after the last try the attempt counts as failed, so dispatch's
              // retry policy decides and the sender hears about it instead of the fax staying
              // "calling" for ever. Once a page was confirmed the call did happen: it is an
              // outcome, never a retry of the same attempt from the same page.
              if (confirmed === 0 && !isFinalAttempt(job)) {
                await ctx.records.updateAttempt(faxId, recipient, attempt, { startedAt: undefined });
                // The members were never on the line: the finally below gives them back.
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
            // A batch: every member's share is written before the lead's own outcome, so a lead
            // with an outcome and a member without one means the node stopped in between.
            if (batch && parts) outcome = await recordShares(batch, parts, outcome, startedAt, line, endedAt!);
            await ctx.records.change().attempt(faxId, recipient, attempt, { ...outcome, endedAt }).event(faxId, `call ${outcome.result}`, `${outcome.pagesSent} page(s)${outcome.reason ? `; ${outcome.reason}` : ''}`, recipient).exec();
            ctx.log.info({ faxId, recipient, attempt, line, result: outcome.result, pages: outcome.pagesSent }, 'call finished');
          } finally {
            aborts.delete(ac);
            running.delete(callId);
            for (const m of batch?.members ?? []) running.delete(m.callId);
            clearInterval(renewal);
            freeLine();
            // Claims, the number's slot and the call's liveness mark given back together (one
            // round trip); the outcome is recorded by now, so a run of the job after this reports it.
            await Promise.all([
              kept.end().catch((err) => ctx.log.warn({ faxId, recipient, err: (err as Error).message }, 'could not clear the call\'s liveness mark; it lapses by itself')),
              settleMembers(callId, [{ faxId, recipient, attempt, callId }, ...(batch?.members ?? [])]).catch((err) => ctx.log.warn({ faxId, recipient, err: (err as Error).message }, 'could not give back the call\'s claims; they lapse by themselves')),
              gate.release(r.number, callId).catch((err) => ctx.log.warn({ faxId, recipient, err: (err as Error).message }, 'could not free the number; its lease ends by itself')),
            ]);
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
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, pool, concurrency, lockDuration: CALL_LOCK_MS },
  );
  const workers = workerSlots(lines.size + readyCalls(lines.size)).map(makeWorker);
  let open = workers.length;
  for (const worker of workers) {
    worker.on('closing', () => standDown.abort());
    worker.on('paused', () => standDown.abort());
    worker.on('resumed', () => {
      standDown = new AbortController();
    });
    worker.on('closed', () => {
      if (--open === 0) void unsubscribe.then((end) => end()).catch(() => {});
    });
  }
  return { workers, abortAll: () => aborts.forEach((a) => a.abort()) };
}

/**
 * Jobs one BullMQ worker of the node runs at most (splitConcurrency): one worker starts at most
 * one job per round trip, and at 1,000 lines and 3.2 s calls (issue 18) that is the node's
 * ceiling once a round trip takes 3 ms.
 */
export const CALLS_PER_WORKER = 50;

/** The concurrency of each of the node's call workers, for `total` jobs at once. */
export function workerSlots(total: number): number[] {
  return splitConcurrency(total, CALLS_PER_WORKER);
}
