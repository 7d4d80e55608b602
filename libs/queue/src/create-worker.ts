import { Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOBS, jobNamesOf, parseJobData, type JobData, type JobNamesOf, type QueueFamily } from './job-types.ts';
import { resolveQueueName } from './queue-set.ts';
import './closed-connection-errors.ts';

export type JobHandler<N extends keyof typeof JOBS> = (data: JobData<N>, job: Job) => Promise<unknown>;
export type HandlerMap<Q extends QueueFamily> = { [N in JobNamesOf<Q>]: JobHandler<N> };

/**
 * The concurrency of each of several workers over one queue that run `total` jobs at once, at
 * most `perWorker` each, as even as can be. A BullMQ worker's main loop fetches one job per
 * awaited round trip, and a job it fetched starts only once the loop stops fetching: one worker
 * starts at most one job per round trip, so a role that runs many jobs at once runs several
 * workers that fetch side by side (BullMQ hands each job to one of them).
 */
export function splitConcurrency(total: number, perWorker: number): number[] {
  const n = Math.max(1, Math.ceil(total / perWorker));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** How often every worker looks for jobs whose worker stopped renewing their lock. */
export const STALLED_CHECK_MS = 5_000;

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency?: number;
  pool?: string;
  /** How long a job may run without renewing its lock before it counts as stalled. */
  lockDuration?: number;
}

/**
 * A BullMQ worker for one queue family with a handler for each of its job names. It refuses to
 * start when a job name has no handler or an unknown one, and it validates every payload before
 * the handler sees it: a job from an incompatible version fails for good with a clear reason.
 * The worker is created paused (autorun off); the runtime starts it once Redis is ready.
 */
export function createWorker<Q extends QueueFamily>(family: Q, handlers: HandlerMap<Q>, opts: WorkerOptions): Worker {
  const expected = new Set<string>(jobNamesOf(family));
  const given = new Set(Object.keys(handlers));
  const missing = [...expected].filter((n) => !given.has(n));
  const unknown = [...given].filter((n) => !expected.has(n));
  if (missing.length || unknown.length) {
    throw new Error(`worker for "${family}": ${missing.length ? `no handler for ${missing.join(', ')}` : ''}${unknown.length ? ` unknown job names ${unknown.join(', ')}` : ''}`.trim());
  }
  const name = resolveQueueName(family, opts.pool);
  const worker = new Worker(
    name,
    async (job: Job) => {
      const handler = (handlers as Record<string, JobHandler<never>>)[job.name];
      if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${name}"`);
      let data: unknown;
      try {
        data = parseJobData(job.name as keyof typeof JOBS, job.data);
      } catch (err) {
        throw new UnrecoverableError((err as Error).message);
      }
      return handler(data as never, job);
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency ?? 1,
      autorun: false,
      // A worker renews its jobs' locks every lockDuration/2 and looks for jobs whose lock
      // expired every stalledInterval: a process that died (kill -9, lost node) has its jobs
      // taken over within about lockDuration + stalledInterval, seconds rather than minutes.
      // Handlers are idempotent, so a job run again after a stall repeats nothing.
      lockDuration: opts.lockDuration ?? 30_000,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 5,
    },
  );
  worker.on('error', () => {});
  return worker;
}
