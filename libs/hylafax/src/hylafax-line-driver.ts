import { HylafaxClient, type HylafaxConnectOptions } from './client.ts';
import { HylafaxError } from './errors.ts';
import type { JobStatus } from './job-description.ts';
import { isFinalJobState } from './job-state.ts';
import { commitFax, findJob, prepareFax } from './submit.ts';

/** faxgate's call results (the same union as `CallResult` in @faxgate/store). */
export type HylafaxCallResult = 'success' | 'busy' | 'no-answer' | 'no-carrier' | 'failed' | 'rejected';

/** One outgoing call, shaped like the node daemon's `OutgoingCall`. */
export interface HylafaxOutgoingCall {
  /** Stable for one attempt, also after a worker restart: it becomes the job's JOBINFO tag. */
  callId: string;
  number: string;
  dialString: string;
  document: Uint8Array;
  fromPage: number;
  line: string;
}

/** The outcome of one call, shaped like the node daemon's `CallOutcome`. */
export interface HylafaxCallOutcome {
  result: HylafaxCallResult;
  pagesSent: number;
  remoteId?: string;
  durationMs: number;
  reason?: string;
  /** The HylaFAX job that carried the call, for the log and the fax record. */
  hylafaxJobId: number;
}

export interface HylafaxLineDriverOptions {
  server: HylafaxConnectOptions;
  /** JPARM MODEM: a device id or modem class; HylaFAX picks any modem when unset. */
  modem?: string;
  /** How often the job is looked at while HylaFAX works on it; 2 s by default. */
  pollIntervalMs?: number;
  /** Give up following a job after this long (HylaFAX's LASTTIME is set to match); 15 min by default. */
  callTimeoutMs?: number;
  /** Consecutive failed reconnects tolerated while following a job; 5 by default. */
  maxReconnects?: number;
}

/**
 * Maps HylaFAX's reason text for a failed job onto faxgate's call results. The texts are
 * faxsend's (e.g. "No carrier detected; too many attempts to dial", seen from hfaxd 6.0.7);
 * anything unrecognised is a plain failure, which faxgate's retry policy treats as retryable.
 */
export function classifyHylafaxFailure(statusText: string): HylafaxCallResult {
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
 * of submitting the fax again. An abort (shutdown) stops following but leaves the job running on
 * the server, for the re-run to pick up.
 */
export class HylafaxLineDriver {
  readonly name = 'hylafax';
  readonly #options: HylafaxLineDriverOptions;

  constructor(options: HylafaxLineDriverOptions) {
    this.#options = options;
  }

  async send(call: HylafaxOutgoingCall, signal: AbortSignal): Promise<HylafaxCallOutcome> {
    const started = Date.now();
    const callTimeout = this.#options.callTimeoutMs ?? 15 * 60_000;
    let client = await HylafaxClient.connect(this.#options.server);
    try {
      let jobId = (await findJob(client, call.callId))?.jobId;
      if (jobId === undefined) {
        signal.throwIfAborted();
        const prepared = await prepareFax(client, {
          tag: call.callId,
          dialString: call.dialString,
          documents: [{ data: call.document }],
          modem: this.#options.modem,
          maxDials: 1,
          maxTries: 1,
          lastTimeSeconds: Math.max(60, Math.floor(callTimeout / 1000)),
        });
        // HylaFAX page ranges are 1-based and open-ended like sendfax's.
        if (call.fromPage > 1) await client.setJobParam('PAGERANGE', `${call.fromPage}-`);
        signal.throwIfAborted();
        await commitFax(client, prepared);
        jobId = prepared.jobId;
      }
      const { status, client: last } = await this.#follow(client, jobId, signal, started + callTimeout);
      client = last;
      const outcome: HylafaxCallOutcome = {
        result: status.state === 'done' ? 'success' : classifyHylafaxFailure(status.statusText),
        pagesSent: Math.max(0, status.pagesSent - status.pagesSkipped),
        durationMs: Date.now() - started,
        hylafaxJobId: jobId,
      };
      if (status.remoteCsi) outcome.remoteId = status.remoteCsi;
      if (status.state !== 'done') outcome.reason = status.statusText || `HylaFAX job ${jobId} failed without a reason`;
      return outcome;
    } finally {
      await client.quit();
    }
  }

  /** Polls the job to its end, reconnecting when the server drops the session. */
  async #follow(client: HylafaxClient, jobId: number, signal: AbortSignal, deadline: number): Promise<{ status: JobStatus; client: HylafaxClient }> {
    const interval = this.#options.pollIntervalMs ?? 2_000;
    const maxReconnects = this.#options.maxReconnects ?? 5;
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      try {
        if (!client.connected) client = await HylafaxClient.connect(this.#options.server);
        const status = await client.getJob(jobId);
        if (!status) throw new HylafaxError('HYLAFAX_JOB_LOST', `HylaFAX job ${jobId} is in neither sendq nor doneq`, false);
        failures = 0;
        if (isFinalJobState(status.state)) return { status, client };
      } catch (err) {
        if (!(err instanceof HylafaxError) || !err.transient || ++failures > maxReconnects) throw err;
        client.destroy();
      }
      if (Date.now() + interval > deadline) throw new HylafaxError('HYLAFAX_CALL_TIMEOUT', `HylaFAX job ${jobId} did not end in time`, true);
      await sleep(interval * (failures + 1), signal);
    }
  }
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
