import { randomBytes } from 'node:crypto';
import { QUEUES, callQueueName } from '@faxgate/queue';
import { defineRole } from '@faxgate/runtime';
import { consoleSchema } from './config.ts';
import { consoleAuth } from './console-auth.ts';
import { registerFaxRoutes } from './fax-routes.ts';
import { registerBullBoard } from './bull-board.ts';
import { registerLineStatusRoutes } from './line-status-routes.ts';
import { registerInboundApi } from '@faxgate/inbound';

/** console: the REST API and Bull Board on the process's HTTP server, behind auth. */
export const consoleRole = defineRole({
  name: 'console',
  schema: consoleSchema,
  async build(ctx, config) {
    const generated = !config.FAXGATE_CONSOLE_PASSWORD;
    const password = config.FAXGATE_CONSOLE_PASSWORD ?? randomBytes(12).toString('base64url');
    const auth = consoleAuth({ user: config.FAXGATE_CONSOLE_USER, password, token: config.FAXGATE_CONSOLE_TOKEN });
    const pools = new Set(config.FAXGATE_CONSOLE_POOLS.split(',').map((s) => s.trim()).filter(Boolean));
    // Pools that have ever had calls are found by their queue's meta key.
    const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
    try {
      const keys = await ctx.redis.keys(`${prefix}:calls-*:meta`);
      for (const k of keys) pools.add(k.slice(prefix.length + 'calls-'.length + 1, -':meta'.length));
    } catch {
      // Redis not up yet: the configured pools are shown.
    }
    const names = [...Object.values(QUEUES), ...[...pools].map(callQueueName)];
    await ctx.http.register(async (scope) => {
      scope.addHook('onRequest', auth);
      registerFaxRoutes(scope, ctx.records);
      registerLineStatusRoutes(scope, ctx);
      await registerInboundApi(scope, ctx, { directoryPath: config.FAXGATE_DIRECTORY });
      await registerBullBoard(scope, names.map((n) => ctx.queues.byName(n)));
    });
    return {
      async start() {},
      async stop() {},
      describe: () => [`console   /queues (Bull Board), /api/v1 — user ${config.FAXGATE_CONSOLE_USER}${generated ? `, password ${password} (generated; set FAXGATE_CONSOLE_PASSWORD)` : ''}`],
    };
  },
});
