import { ConfigError } from '@faxgate/config';
import { runRoles, type RunOptions, type RunningGateway } from './run-roles.ts';
import type { RoleDefinition } from './role.ts';

/** The entrypoint shape every service shares: validate config, build, start, wait for a signal. */
export async function runMain(defs: RoleDefinition[], opts: Pick<RunOptions, 'settingsSchemas'> = {}): Promise<RunningGateway | undefined> {
  try {
    return await runRoles(defs, { ...opts, handleSignals: true, announce: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`faxgate: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      // One line an operator can act on, not a stack trace.
      const where = e.port !== undefined ? `${e.address ?? ''}:${e.port}` : e.message;
      process.stderr.write(`faxgate: cannot listen on ${where}: ${e.code === 'EADDRINUSE' ? 'the port is already in use (another faxgate, or another server)' : 'permission denied'}; choose another port (FAXGATE_HTTP_PORT, FAXGATE_SMTP_PORT, ...)\n`);
      process.exit(1);
    }
    process.stderr.write(`faxgate: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  }
}
