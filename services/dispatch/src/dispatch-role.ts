import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { dispatchSchema } from './config.ts';
import { createDispatchWorker } from './dispatch-worker.ts';

/** dispatch: scheduling and retry policy between render, the line pools and the notifier. */
export const dispatchRole = defineRole({
  name: 'dispatch',
  schema: dispatchSchema,
  async build(ctx, config) {
    return workerLifecycle([createDispatchWorker(ctx, config)], ctx.log, ctx.metrics);
  },
});
