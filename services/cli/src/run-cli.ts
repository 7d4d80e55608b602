// `faxgate run <role...>|all`: starts roles in this process until a signal ends them.
import { parseArgs } from 'node:util';
import { resolveRoles, ROLE_NAMES } from './roles.ts';

const USAGE = `usage: faxgate run <role...>|all

  Starts the named roles in this process (in start order) until SIGTERM or SIGINT.
  roles: ${ROLE_NAMES.join(', ')}; all starts every role.
  Configuration comes from the environment (docs/configuration.md).
`;

/** Resolves to the exit code, or -1 once the roles run (the process then lives until a signal). */
export async function runCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate run: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) {
    process.stderr.write(`faxgate run: no role named\n${USAGE}`);
    return 2;
  }
  let defs;
  try {
    defs = await resolveRoles(args.positionals);
  } catch (err) {
    process.stderr.write(`faxgate run: ${(err as Error).message}\n`);
    return 2;
  }
  const { runMain } = await import('@faxgate/runtime');
  // Only the console edits runtime settings, and it checks an edit against every role's schema;
  // the other roles apply a version with their own, and do not load the others' modules.
  const edits = defs.some((d) => d.name === 'console');
  const { settingsSchemas } = await import('./settings-schemas.ts');
  await runMain(defs, edits ? { settingsSchemas: await settingsSchemas() } : {});
  return -1;
}
