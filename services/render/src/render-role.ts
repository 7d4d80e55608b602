import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { renderSchema } from './config.ts';
import { createRenderWorker } from './render-worker.ts';

/** render: stored messages into fax pages (TIFF Class F), one TIFF per recipient. */
export const renderRole = defineRole({
  name: 'render',
  schema: renderSchema,
  async build(ctx, config) {
    return workerLifecycle([createRenderWorker(ctx, config)], ctx.log, ctx.metrics);
  },
});
