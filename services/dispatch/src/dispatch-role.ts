import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { dispatchSchema } from './config.ts';
import { createDispatchWorker } from './dispatch-worker.ts';
import { createReconciler } from './reconciler.ts';

/** dispatch: scheduling and retry policy between render, the line pools and the notifier. */
export const dispatchRole = defineRole({
  name: 'dispatch',
  schema: dispatchSchema,
  async build(ctx, config) {
    const life = workerLifecycle([createDispatchWorker(ctx, config)], ctx.log, ctx.metrics);
    // A fax younger than two sweeps may still have its next job on the way.
    const reconciler = createReconciler(ctx, { pool: config.FAXGATE_DISPATCH_POOL, intervalMs: config.FAXGATE_RECONCILE_INTERVAL, graceMs: 2 * config.FAXGATE_RECONCILE_INTERVAL });
    return {
      ...life,
      async start() {
        await life.start();
        reconciler.start();
      },
      async stop() {
        await reconciler.stop();
        await life.stop();
      },
    };
  },
});
