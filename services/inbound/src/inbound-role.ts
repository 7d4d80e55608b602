import { resolve } from 'node:path';
import { defineRole, workerLifecycle, type RoleInstance } from '@faxgate/runtime';
import { inboundSchema } from './config.ts';
import { DirectorySource } from '@faxgate/directory';
import { createRouteWorker } from './route-worker.ts';

/** inbound: routes received faxes to their owners through the directory file. */
/** The inbound role as it runs: the directory it routes by, for tests and the banner. */
export interface InboundRoleInstance extends RoleInstance {
  directory: DirectorySource;
}

export const inboundRole = defineRole({
  name: 'inbound',
  schema: inboundSchema,
  async build(ctx, config): Promise<InboundRoleInstance> {
    const directory = new DirectorySource({
      path: resolve(config.FAXGATE_DIRECTORY),
      log: ctx.log,
      pollMs: config.FAXGATE_DIRECTORY_POLL,
      // Both are runtime settings: the live config is read each time a fax is routed.
      fallbackUnaddressed: () => config.FAXGATE_INBOUND_UNADDRESSED ?? `postmaster@${config.FAXGATE_FAX_DOMAINS[0] ?? 'localhost'}`,
    });
    // A bad file at start stops the start, with its line and reason: better than routing every
    // fax to the unaddressed mailbox until someone notices.
    await directory.load();
    const life = workerLifecycle([createRouteWorker(ctx, config, directory)], ctx.log, ctx.metrics);
    return {
      async start() {
        directory.start();
        await life.start();
      },
      async stop() {
        directory.stop();
        await life.stop();
      },
      notReady: life.notReady,
      describe: () => {
        const s = directory.status();
        return [`directory ${s.path}${s.active.builtIn ? ' (missing: all faxes go to the unaddressed mailbox)' : ` (${s.active.users} users, ${s.active.routes} routes)`}`];
      },
      directory,
    };
  },
});
