import { ConfigError } from '@faxgate/config';
import { runRoles, type RunningGateway } from './run-roles.ts';
import type { RoleDefinition } from './role.ts';

/** The entrypoint shape every service shares: validate config, build, start, wait for a signal. */
export async function runMain(defs: RoleDefinition[]): Promise<RunningGateway | undefined> {
  try {
    return await runRoles(defs, { handleSignals: true, announce: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`faxgate: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(`faxgate: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
