import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, callQueueName } from './queue-names.ts';
import { JOBS, JOB_SCHEMA_VERSION, parseJobData, type AnyJob, type JobData, type JobName, type QueueFamily } from './job-types.ts';
import { jobId } from './job-ids.ts';
import './closed-connection-errors.ts';

export interface QueueSetOptions {
  connection: Redis;
  prefix: string;
  /** Base delay of the exponential backoff of every job (jittered). */
  backoffMs: number;
}

/** How often each job is tried before it fails for good (each try backs off exponentially). */
const ATTEMPTS: Record<JobName, number> = {
  'render-fax': 5,
  'schedule-recipient': 10,
  'call-outcome': 10,
  'place-call': 5,
  'result-mail': 12,
  'summary-mail': 12,
  'delay-notice': 12,
  'receive-call': 3,
  // A failed poll is not retried: the schedule polls again at the next interval.
  'poll-received': 1,
  'route-inbound': 10,
  'inbound-mail': 12,
  'postmaster-mail': 12,
  // With the 5 s default backoff the last of 12 tries is about 3 hours after the event.
  'webhook-delivery': 12,
};

/**
 * The typed producers: one BullMQ Queue per queue name, created on first use. Every add goes
 * through here, so the job id rule, the payload schema and the retry options are the same for
 * every producer.
 */
export class QueueSet {
  readonly prefix: string;
  private readonly opts: QueueSetOptions;
  private readonly queues = new Map<string, Queue>();

  constructor(opts: QueueSetOptions) {
    this.opts = opts;
    this.prefix = opts.prefix;
  }

  /** The BullMQ queue of a family (`calls` needs the pool). */
  queue(family: QueueFamily, pool?: string): Queue {
    return this.byName(resolveQueueName(family, pool));
  }

  /** A queue by its concrete name (for the console and metrics, which list every queue). */
  byName(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.opts.connection, prefix: this.opts.prefix });
      q.on('error', () => {});
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds one job; resolves once Redis has it. A job with the same id already queued is kept, not doubled. */
  /**
   * `priority` is BullMQ's (1 is served first, up to 2^21; jobs without one are served before
   * any job with one): dispatch ranks calls by it (issue 14).
   */
  async add<N extends JobName>(name: N, data: JobData<N>, extra: { delay?: number; pool?: string; attempts?: number; priority?: number } = {}): Promise<string> {
    parseJobData(name, data);
    const id = jobId(name, data);
    const q = this.queue(JOBS[name].queue, extra.pool);
    await q.add(name, versioned(data), { ...this.jobOptions(name), jobId: id, delay: extra.delay, ...(extra.attempts ? { attempts: extra.attempts } : {}), ...(extra.priority ? { priority: extra.priority } : {}) });
    return id;
  }

  /** Adds several jobs of one queue atomically (a MULTI in Redis). */
  async addBulk(jobs: AnyJob[], pool?: string, attempts?: number): Promise<string[]> {
    if (jobs.length === 0) return [];
    const family = JOBS[jobs[0].name].queue;
    const q = this.queue(family, pool);
    const bulk = jobs.map((j) => {
      if (JOBS[j.name].queue !== family) throw new Error('addBulk takes jobs of one queue only');
      parseJobData(j.name, j.data);
      return { name: j.name, data: versioned(j.data), opts: { ...this.jobOptions(j.name), ...(attempts ? { attempts } : {}), jobId: jobId(j.name, j.data as never) } };
    });
    await q.addBulk(bulk);
    return bulk.map((b) => b.opts.jobId);
  }

  jobOptions(name: JobName): JobsOptions {
    if (name === 'poll-received') {
      // Thousands of polls a day: keep the recent ones to show the schedule works, and the
      // failures (server down, bad password) long enough to be read.
      return { attempts: ATTEMPTS[name], removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 86400, count: 1000 } };
    }
    return {
      attempts: ATTEMPTS[name],
      backoff: { type: 'exponential', delay: this.opts.backoffMs, jitter: 0.3 },
      removeOnComplete: { age: 7 * 86400, count: 5000 },
      // Failed jobs keep their evidence (payload, stack, attempts) for the console.
      removeOnFail: { age: 90 * 86400 },
    };
  }

  /** Every queue opened so far. */
  all(): Queue[] {
    return [...this.queues.values()];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/** The payload as written: stamped with the version of this release (see JOB_SCHEMA_VERSION). */
export function versioned<D extends object>(data: D): D & { v: number } {
  return { ...data, v: JOB_SCHEMA_VERSION };
}

export function resolveQueueName(family: QueueFamily, pool?: string): string {
  if (family === 'calls') {
    if (!pool) throw new Error('the calls queue needs a pool name');
    return callQueueName(pool);
  }
  return QUEUES[family];
}
