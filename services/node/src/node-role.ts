import { join } from 'node:path';
import { defineRole, workerLifecycle } from '@faxgate/runtime';
import { nodeSchema } from './config.ts';
import { LinePool } from './line-pool.ts';
import { SimLineDriver } from './sim-line-driver.ts';
import { parseSimRules } from './sim-outcome-rules.ts';
import { createCallWorker } from './call-worker.ts';

/** node: the daemon next to the lines; takes calls of its pool and runs them on its line driver. */
export const nodeRole = defineRole({
  name: 'node',
  schema: nodeSchema,
  async build(ctx, config) {
    const pool = config.FAXGATE_NODE_POOL;
    const lines = new LinePool(pool, ctx.nodeId, config.FAXGATE_NODE_LINES);
    const driver = new SimLineDriver({
      bitRate: config.FAXGATE_SIM_BITRATE,
      timeScale: config.FAXGATE_SIM_TIME_SCALE,
      ringTimeMs: config.FAXGATE_SIM_RING_TIME,
      remoteId: config.FAXGATE_SIM_REMOTE_ID,
      rules: parseSimRules(config.FAXGATE_SIM_OUTCOMES),
      receivedDir: join(ctx.blobs.root, 'sim-received'),
      redis: ctx.redis,
      counterPrefix: ctx.base.FAXGATE_QUEUE_PREFIX,
    });
    const calls = createCallWorker(ctx, pool, lines, driver);
    const life = workerLifecycle([calls.worker], ctx.log, ctx.metrics);
    return {
      ...life,
      describe: () => [`lines     pool ${pool}: ${lines.size} ${driver.name} line(s)`],
    };
  },
});
