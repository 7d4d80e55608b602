// `faxgate config docs [--check]`: the generated variable table in docs/configuration.md.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The runtime-settings subcommands (settings-cli.ts); `docs` is this file's own. */
export const SETTINGS_COMMANDS = ['get', 'set', 'unset', 'diff', 'history', 'rollback', 'export', 'import', 'status'];

const USAGE = `usage: faxgate config docs [--check]
       faxgate config get|set|unset|diff|history|rollback|export|import|status ...

  docs regenerates the table of every configuration variable in docs/configuration.md from the
  roles' schemas; with --check, only verifies it is up to date (exit 1 when it is not).
  The other subcommands read and change the runtime settings: faxgate config set --help.
`;

export async function configCli(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (sub !== undefined && sub !== 'docs' && SETTINGS_COMMANDS.includes(sub)) return (await import('./settings-cli.ts')).settingsCli(sub, rest);
  if (sub !== 'docs') {
    process.stderr.write(`faxgate config: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`}\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({ args: rest, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate config: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { configDocs } = await import('./config-docs.ts');
  return configDocs(resolve(import.meta.dirname, '../../../docs/configuration.md'), args.values.check ?? false);
}
