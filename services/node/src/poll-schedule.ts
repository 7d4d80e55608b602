import { jobId, type QueueSet } from '@faxgate/queue';
import { createLeaderElector, type ElectionTiming, type LeaderElector } from '@faxgate/k8s';
import type { RoleContext } from '@faxgate/runtime';

export interface PollScheduleOptions {
  ctx: Pick<RoleContext, 'redis' | 'base' | 'nodeId' | 'log'> & { queues: Pick<QueueSet, 'queue' | 'jobOptions'> };
  pool: string;
  /** This node's configured interval; 0 means the pool must not be polled. */
  intervalMs: number;
  /** Election timing (tests shorten it). */
  timing?: Partial<ElectionTiming>;
}

export interface PollScheduleOwner {
  readonly elector: LeaderElector;
  start(): Promise<void>;
  /** Stops campaigning (handing the role over at once); the scheduler itself stays for the next leader. */
  stop(): Promise<void>;
}

/** How long a leader waits before trying again to write the scheduler after a Redis error. */
const RETRY_MS = 2_000;

/**
 * The owner of a pool's `poll-received` schedule: the BullMQ job scheduler lives in Redis, so
 * polls go on whichever node runs; only the elected leader writes it (upsert with its interval
 * when it becomes leader, remove when its interval is 0), so however many nodes serve the pool
 * exactly one scheduler exists, and the latest leader's configuration is the one in force.
 * BullMQ hands each queued poll to one worker, so two polls of the pool never overlap.
 */
export function ownPollSchedule(opts: PollScheduleOptions): PollScheduleOwner {
  const { ctx, pool, intervalMs } = opts;
  const log = (msg: string, err?: unknown) => ctx.log.warn({ err: err instanceof Error ? err.message : err, pool }, msg);
  // The Lease (faxgate-hylafax-poller-<pool>) keeps its name from the timer-loop poller, so a
  // rolling update never has an old and a new node both believing they own the polls.
  const elector = createLeaderElector({ name: `hylafax-poller-${pool}`, identity: ctx.nodeId, redis: ctx.redis, redisPrefix: ctx.base.FAXGATE_QUEUE_PREFIX, log, ...(opts.timing ? { timing: opts.timing } : {}) });
  const schedulerId = jobId('poll-received', { pool });
  let applying: Promise<void> = Promise.resolve();
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  const write = async (): Promise<void> => {
    const queue = ctx.queues.queue('calls', pool);
    if (intervalMs > 0) {
      const { attempts, removeOnComplete, removeOnFail } = ctx.queues.jobOptions('poll-received');
      await queue.upsertJobScheduler(schedulerId, { every: intervalMs }, { name: 'poll-received', data: { pool }, opts: { attempts, removeOnComplete, removeOnFail } });
      ctx.log.info({ pool, intervalMs, schedulerId }, 'leader: received-fax poll scheduled');
    } else if (await queue.removeJobScheduler(schedulerId)) {
      ctx.log.info({ pool, schedulerId }, 'leader: received-fax polling is off, schedule removed');
    }
  };

  const apply = () => {
    clearTimeout(retry);
    applying = applying.then(async () => {
      if (stopped || !elector.isLeader) return;
      try {
        await write();
      } catch (err) {
        log('could not write the received-fax poll schedule; trying again', err);
        retry = setTimeout(apply, RETRY_MS);
        retry.unref();
      }
    });
  };

  const unsubscribe = elector.onChange((leader) => {
    if (leader) apply();
  });

  return {
    elector,
    async start() {
      await elector.start();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      unsubscribe();
      await applying;
      await elector.stop();
    },
  };
}
