import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { dispatchSchema } from './config.ts';
import { createDispatchWorker } from './dispatch-worker.ts';
import { createReconciler } from './reconciler.ts';
import { createKillTimer } from './kill-timer.ts';
import { bullPriority, rankAmongSender } from './call-priority.ts';
import { loadSchedule } from './schedule-loader.ts';
import { ownRetentionFor } from '@faxgate/retention';

/** dispatch: scheduling and retry policy between render, the line pools and the notifier. */
export const dispatchRole = defineRole({
  name: 'dispatch',
  schema: dispatchSchema,
  async build(ctx, config) {
    // Kill times are looked at every second: one sorted-set read.
    const killTimer = createKillTimer(ctx, 1000);
    const life = workerLifecycle(createDispatchWorker(ctx, config, killTimer), ctx.log, ctx.metrics);
    // A fax younger than two sweeps may still have its next job on the way.
    const reconciler = createReconciler(ctx, {
      pool: config.FAXGATE_DISPATCH_POOL,
      intervalMs: config.FAXGATE_RECONCILE_INTERVAL,
      graceMs: 2 * config.FAXGATE_RECONCILE_INTERVAL,
      callPriority: async (fax, r) => bullPriority((await loadSchedule(ctx, fax, config)).priority, await rankAmongSender(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, fax.sender, fax.id, r.index)),
    });
    const retention = ownRetentionFor(ctx, config);
    return {
      ...life,
      async start() {
        await life.start();
        reconciler.start();
        killTimer.start();
        await retention.start();
      },
      async stop() {
        await retention.stop();
        await killTimer.stop();
        await reconciler.stop();
        await life.stop();
      },
    };
  },
});
