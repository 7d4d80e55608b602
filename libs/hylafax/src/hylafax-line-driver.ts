import type { CallOutcome, CallPart, CallResult, IncomingCall, OutgoingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { readTiff, resolutionName, sliceTiff } from '@faxgate/fax-image';
import { HylafaxClient, type HylafaxConnectOptions } from './client.ts';
import { HylafaxAuthError, HylafaxError, HylafaxProtocolError } from './errors.ts';

/** How long a job may sit ready and undialled before faxq's scheduler is asked again. */
const NUDGE_AFTER_MS = 15_000;
import type { JobStatus } from './job-description.ts';
import { isFinalJobState } from './job-state.ts';
import { commitFax, findJob, prepareFax, type PreparedFax } from './submit.ts';
import { pollReceivedFaxes, type PollReport } from './poll-received.ts';
import type { FetchedFax, ProcessedAction } from './received.ts';

/** The outcome of one call, with the HylaFAX job that carried it (for the log and the fax record). */
export interface HylafaxCallOutcome extends CallOutcome {
  hylafaxJobId: number;
}

/**
 * Where polled faxes go. `sourceKey` is the same for the same fax on every poll (see
 * receivedFaxKey): the sink must record a fax handed over twice only once. It resolves once the
 * fax is durably queued; only then is it removed from the server.
 */
export type HylafaxReceivedSink = (call: Omit<IncomingCall, 'simRemote'>, outcome: ReceiveOutcome, sourceKey: string) => Promise<unknown>;

/** The receiving side: what a poll of the server's recvq does (see pollReceived). */
export interface HylafaxReceiveOptions {
  processed: ProcessedAction;
  /** Admin password for the poll's session: stock hfaxd lets only admins delete received faxes. */
  adminPassword?: string;
  /**
   * Position (0-based) of the DID among the CallID values faxgetty stored, which follows the
   * receiving modem's CallIDPattern order; 3 for Debian's iaxmodem template (NMBR, NAME, ANID,
   * NDID). Undefined: no DID.
   */
  didCallIdIndex?: number;
}

export interface HylafaxLineDriverOptions {
  server: HylafaxConnectOptions;
  /** How received faxes are polled (see pollReceived). */
  receive?: HylafaxReceiveOptions;
  /** JPARM MODEM: a device id or modem class; HylaFAX picks any modem when unset. */
  modem?: string;
  /** How often the job is looked at while HylaFAX works on it; 2 s by default. */
  pollIntervalMs?: number;
  /** Give up following a job after this long (HylaFAX's LASTTIME is set to match); 15 min by default. */
  callTimeoutMs?: number;
  /**
   * Give up a job HylaFAX has not started dialling after this long (10 min by default): the job
   * is killed on the server, so it cannot go out later behind faxgate's back, and the call
   * fails with the reason, for faxgate's retry policy. A server whose modems are all busy or
   * that does not see them as ready would otherwise hold the fax for ever.
   */
  startTimeoutMs?: number;
  /** Consecutive failed reconnects tolerated while following a job; 5 by default. */
  maxReconnects?: number;
}

/**
 * Maps HylaFAX's reason text for a failed job onto faxgate's call results. The texts are
 * faxsend's (e.g. "No carrier detected; too many attempts to dial", seen from hfaxd 6.0.7);
 * anything unrecognised is a plain failure, which faxgate's retry policy treats as retryable.
 */
export function classifyHylafaxFailure(statusText: string): CallResult {
  if (/\bbusy\b/i.test(statusText)) return 'busy';
  if (/no answer/i.test(statusText)) return 'no-answer';
  if (/no carrier|carrier lost|no response|lost connection|hangup/i.test(statusText)) return 'no-carrier';
  if (/rejected|blocked|not permitted|invalid (phone )?number|does not exist|unassigned/i.test(statusText)) return 'rejected';
  return 'failed';
}

/**
 * A line driver whose "line" is a HylaFAX server: each call becomes one HylaFAX job with one
 * dial and one try, so faxgate's own retry policy stays in charge. The call id is the job's tag:
 * a call re-run after a worker restart finds the job it already submitted and follows it instead
 * of submitting the fax again, and so does `recover` for a call whose node died mid-call. An abort (shutdown) stops following but leaves the job running on
 * the server, for the re-run to pick up. A batched call (several faxes to one number, issue 14)
 * is one job with one document per fax, as sendfax makes one job of several files: faxsend
 * sends a job's documents one after the other in a single call, and the job's page count, split
 * by the parts' pages, gives each fax its own result.
 */
export class HylafaxLineDriver {
  readonly name = 'hylafax';
  readonly multiDocument = true;
  readonly #options: HylafaxLineDriverOptions;

  constructor(options: HylafaxLineDriverOptions) {
    this.#options = options;
  }

  /**
   * Places the call as a HylaFAX job and follows it to its end. A server that refuses the login,
   * or fails while the job is being prepared (after the lookup found no job of this call, before
   * JSUBM), gives a `failed` outcome with the server's reason: nothing was submitted, so
   * faxgate's retry policy may try again. Errors where a job may exist (an unreachable server
   * before the lookup, a lost connection at or after JSUBM) are thrown, so the same call is run
   * again and finds its job.
   */
  async send(call: OutgoingCall, signal: AbortSignal): Promise<HylafaxCallOutcome> {
    const started = Date.now();
    const callTimeout = this.#options.callTimeoutMs ?? 15 * 60_000;
    const notSent = (err: HylafaxError): HylafaxCallOutcome => ({ result: 'failed', pagesSent: 0, durationMs: Date.now() - started, reason: err.message, hylafaxJobId: 0 });
    let client: HylafaxClient;
    try {
      client = await HylafaxClient.connect(this.#options.server);
    } catch (err) {
      if (err instanceof HylafaxAuthError) return notSent(err);
      throw err;
    }
    try {
      let jobId = (await findJob(client, call.callId))?.jobId;
      if (jobId === undefined) {
        let prepared: PreparedFax;
        try {
          signal.throwIfAborted();
          prepared = await prepareFax(client, {
            tag: call.callId,
            dialString: call.dialString,
            documents: call.parts ? partDocuments(call.document, call.parts) : [{ data: call.document }],
            modem: this.#options.modem,
            maxDials: 1,
            maxTries: 1,
            lastTimeSeconds: Math.max(60, Math.floor(callTimeout / 1000)),
            verticalResolution: jobVerticalResolution(call.document),
          });
          // HylaFAX page ranges are 1-based and open-ended like sendfax's. A batch's parts hold
          // only the pages still to send (fromPage is 1).
          if (call.fromPage > 1 && !call.parts) await client.setJobParam('PAGERANGE', `${call.fromPage}-`);
          signal.throwIfAborted();
        } catch (err) {
          // The unsubmitted job dies with this session.
          if (err instanceof HylafaxError) return notSent(err);
          throw err;
        }
        await commitFax(client, prepared);
        jobId = prepared.jobId;
      }
      const followed = await this.#follow(client, jobId, signal, started + callTimeout);
      client = followed.client;
      return outcomeOf(jobId, followed, started);
    } finally {
      await client.quit();
    }
  }

  /**
   * The call `callId` that a node started before it stopped (kill, crash): its job goes on on the
   * server without the node, so it is looked up by its tag and followed to its end, however far
   * it got (queued, dialling, sending, done or failed), and its outcome is the call's. Nothing is
   * dialled or submitted here. `undefined`: the server has no job of this call, so it was never
   * submitted (a session that ends before JSUBM takes its job along) and sending it is safe.
   * Errors (server unreachable) are thrown: the job may exist, so the caller asks again later.
   */
  async recover(callId: string, signal: AbortSignal): Promise<HylafaxCallOutcome | undefined> {
    const started = Date.now();
    let client = await HylafaxClient.connect(this.#options.server);
    try {
      const job = await findJob(client, callId);
      if (!job) return undefined;
      const followed = await this.#follow(client, job.jobId, signal, started + (this.#options.callTimeoutMs ?? 15 * 60_000));
      client = followed.client;
      return outcomeOf(job.jobId, followed, started);
    } finally {
      await client.quit();
    }
  }

  /**
   * One poll of the server's recvq (see pollReceivedFaxes): each finished fax goes to `sink`
   * and is removed on the server once the sink resolved. The caller owns the schedule (faxgate's
   * node runs it on the elected leader only). Needs `receive` options.
   */
  async pollReceived(sink: HylafaxReceivedSink): Promise<PollReport> {
    const receive = this.#options.receive;
    if (!receive) throw new Error('the HylaFAX driver was built without receive options');
    const server = receive.adminPassword === undefined ? this.#options.server : { ...this.#options.server, adminPassword: receive.adminPassword };
    const client = await HylafaxClient.connect(server);
    try {
      return await pollReceivedFaxes(client, {
        deliver: (fetched, key) => sink(incomingCall(fetched, receive.didCallIdIndex), receiveOutcome(fetched), key).then(() => undefined),
        processed: receive.processed,
      });
    } finally {
      await client.quit();
    }
  }

  /**
   * Polls the job to its end, reconnecting when the server drops the session. A job never
   * dialled within the start timeout is killed and followed to its end; `notStarted` then says
   * why it failed.
   */
  async #follow(client: HylafaxClient, jobId: number, signal: AbortSignal, deadline: number): Promise<{ status: JobStatus; client: HylafaxClient; notStarted?: string }> {
    const interval = this.#options.pollIntervalMs ?? 2_000;
    const maxReconnects = this.#options.maxReconnects ?? 5;
    const startTimeout = this.#options.startTimeoutMs ?? 10 * 60_000;
    const followed = Date.now();
    let nudged = followed;
    let resubmit = false;
    let notStarted: string | undefined;
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      try {
        if (!client.connected) client = await HylafaxClient.connect(this.#options.server);
        const status = await client.getJob(jobId);
        if (!status) throw new HylafaxError('HYLAFAX_JOB_LOST', `HylaFAX job ${jobId} is in neither sendq nor doneq`, false);
        failures = 0;
        if (isFinalJobState(status.state)) return notStarted === undefined ? { status, client } : { status, client, notStarted };
        if (notStarted === undefined && status.dials === 0 && status.state !== 'active' && Date.now() - followed >= startTimeout) {
          // JKILL ends the job whatever its state by now; if a modem took it in the meantime,
          // the call is cut and the job's final status still tells what was sent.
          notStarted = `HylaFAX did not start job ${jobId} within ${Math.round(startTimeout / 1000)} s (it stayed ${status.state}, no modem took it); the job was killed on the server`;
          await client.killJob(jobId);
        } else if (status.state === 'suspended' && resubmit) {
          await client.submitJob(jobId);
          resubmit = false;
        } else if (status.state === 'ready' && status.dials === 0 && Date.now() - nudged >= NUDGE_AFTER_MS) {
          // faxq 6.0.x runs its scheduler at most once a second and can drop a request to run it
          // that arrives in the same second as a delayed run (SchedTimeout::start leaves its
          // `pending` flag set): a ready job then waits until some other event wakes the
          // scheduler, which on a quiet server is never. Suspending and resubmitting the job
          // (what faxalter does) asks for a scheduler run again; it changes nothing else.
          nudged = Date.now();
          // Refused: the job left 'ready' meanwhile (a modem took it); following goes on. A job
          // left suspended by a lost session is resubmitted on the next look (`resubmit`); if
          // the worker itself dies in between, the start timeout ends the job.
          const suspended = await client.suspendJob(jobId).then(() => true, (err: unknown) => {
            if (err instanceof HylafaxProtocolError) return false;
            throw err;
          });
          if (suspended) {
            resubmit = true;
            await client.submitJob(jobId);
            resubmit = false;
          }
        }
      } catch (err) {
        client.destroy();
        if (!(err instanceof HylafaxError) || !err.transient || ++failures > maxReconnects) throw err;
      }
      if (Date.now() + interval > deadline) throw new HylafaxError('HYLAFAX_CALL_TIMEOUT', `HylaFAX job ${jobId} did not end in time`, true);
      await sleep(interval * (failures + 1), signal);
    }
  }
}

/**
 * A finished job as a call's outcome. `durationMs` counts from when this node began following
 * it (HylaFAX keeps no call duration in the job's description).
 */
function outcomeOf(jobId: number, followed: { status: JobStatus; notStarted?: string }, started: number): HylafaxCallOutcome {
  const { status, notStarted } = followed;
  const outcome: HylafaxCallOutcome = {
    result: status.state === 'done' ? 'success' : notStarted ? 'failed' : classifyHylafaxFailure(status.statusText),
    pagesSent: Math.max(0, status.pagesSent - status.pagesSkipped),
    durationMs: Date.now() - started,
    hylafaxJobId: jobId,
  };
  if (status.remoteCsi) outcome.remoteId = status.remoteCsi;
  if (status.state !== 'done') outcome.reason = notStarted ?? (status.statusText || `HylaFAX job ${jobId} failed without a reason`);
  return outcome;
}

/** One document per part: its pages of the batched call's document, in order. */
/**
 * The job's VRES (lines per inch) for a document: 98 when every page is standard resolution
 * (T.4 §2.3: 3.85 lines/mm), 196 otherwise. HylaFAX sends at the job's VRES whatever the
 * document's own resolution: a standard page in a job left at 196 went out and was stored at
 * fine (DCS fine; faxgetty's copy listed at 196 lpi). A document with any page finer than
 * standard is sent fine, as sending it at 98 would drop every other row of that page.
 */
export function jobVerticalResolution(document: Uint8Array): 98 | 196 {
  return readTiff(document).every((p) => resolutionName(p.yDpi) === 'standard') ? 98 : 196;
}

function partDocuments(document: Uint8Array, parts: readonly CallPart[]): Array<{ data: Uint8Array }> {
  let at = 0;
  return parts.map((p) => {
    const data = sliceTiff(document, at, at + p.pages);
    at += p.pages;
    return { data };
  });
}

function incomingCall(fetched: FetchedFax, didIndex: number | undefined): Omit<IncomingCall, 'simRemote'> {
  const { fax, identity } = fetched;
  const did = didIndex === undefined ? '' : identity?.callIds[didIndex] ?? '';
  return { callId: `hylafax-${fax.file}`, line: `hylafax/${fax.file}`, did, callingNumber: fax.callerNumber };
}

function receiveOutcome(fetched: FetchedFax): ReceiveOutcome {
  const { fax, data } = fetched;
  const [h, m, sec] = fax.receiveDuration.split(':').map(Number);
  const outcome: ReceiveOutcome = {
    document: data,
    pages: fax.pages,
    badRows: 0,
    // faxgetty keeps what arrived of a call that broke off and notes why (RCVFMT %e).
    partial: fax.error !== '',
    durationMs: Number.isFinite(h + m + sec) ? ((h * 60 + m) * 60 + sec) * 1000 : 0,
  };
  // hfaxd says <unknown> for a file without faxgetty's ImageDescription.
  const csid = fetched.identity?.senderTsi || (fax.senderTsi === '<unknown>' ? '' : fax.senderTsi);
  if (csid) outcome.csid = csid;
  if (fax.subAddress) outcome.subAddress = fax.subAddress;
  if (fax.error) outcome.reason = fax.error;
  return outcome;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
