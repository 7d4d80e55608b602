import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { RenderSandbox } from '@faxgate/render';
import { renderSchema } from './config.ts';
import { createRenderWorker } from './render-worker.ts';

/** render: stored messages into fax pages (TIFF Class F), one TIFF per recipient. */
export const renderRole = defineRole({
  name: 'render',
  schema: renderSchema,
  async build(ctx, config) {
    // Untrusted documents open only in sandbox processes, one per concurrent message.
    const sandbox = new RenderSandbox({ timeoutMs: config.FAXGATE_RENDER_TIMEOUT, memoryMb: config.FAXGATE_RENDER_MEMORY_MB }, config.FAXGATE_RENDER_CONCURRENCY);
    const life = workerLifecycle([createRenderWorker(ctx, config, sandbox)], ctx.log, ctx.metrics);
    return {
      ...life,
      async stop() {
        await life.stop();
        await sandbox.close();
      },
    };
  },
});
