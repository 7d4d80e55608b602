// Every `faxgate` command in one table: main.ts dispatches through it, `faxgate --help` lists it,
// and services/cli/test/help.test.ts asks each command and subcommand for its --help from it.
// Each command's code is loaded with import() only when that command runs, so `faxgate --help`
// loads none of it.
import { ROLE_NAMES } from './roles.ts';

export interface Command {
  /** The word after `faxgate`. */
  name: string;
  /** What follows the name in the overview, e.g. `info|convert|topdf`. */
  synopsis: string;
  summary: string;
  /** Every subcommand the command's parser accepts; each answers `--help` too. */
  subcommands: readonly string[];
  /** Runs the command; argv starts after the command's name. Resolves to the exit code (-1: keeps running). */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'run',
    synopsis: '<role...>|all',
    summary: `start roles in this process (${ROLE_NAMES.join(', ')})`,
    subcommands: [],
    run: async (argv) => (await import('./run-cli.ts')).runCli(argv),
  },
  {
    name: 'tiff',
    synopsis: 'info|convert|topdf',
    summary: 'inspect and convert fax TIFFs',
    subcommands: ['info', 'convert', 'topdf'],
    run: async (argv) => (await import('@faxgate/fax-image/cli')).tiffCli(argv),
  },
  {
    name: 't38',
    synopsis: 'send|receive',
    summary: 'fax over T.38/UDPTL to or from a peer',
    subcommands: ['send', 'receive'],
    run: async (argv) => (await import('@faxgate/t38/cli')).t38Cli(argv),
  },
  {
    name: 'sip',
    synopsis: 'send|receive',
    summary: 'one SIP fax call (T.38 or G.711) with the node\'s SIP configuration',
    subcommands: ['send', 'receive'],
    run: async (argv) => (await import('./sip-cli.ts')).sipCli(argv),
  },
  {
    name: 'render',
    synopsis: '<file|.eml>... -o out.tif',
    summary: 'preview mails and documents as a fax',
    subcommands: [],
    run: async (argv) => (await import('@faxgate/render-service/cli')).renderCli(argv),
  },
  {
    name: 'config',
    synopsis: 'get|set|unset|diff|history|rollback|export|import|status|docs',
    summary: 'runtime settings (change policy while the gateway runs) and the variable table in docs/configuration.md',
    subcommands: ['get', 'set', 'unset', 'diff', 'history', 'rollback', 'export', 'import', 'status', 'docs'],
    run: async (argv) => (await import('./config-cli.ts')).configCli(argv),
  },
  ...(['users', 'routes', 'directory'] as const).map((kind): Command => ({
    name: kind,
    synopsis: kind === 'directory' ? 'show|unaddressed' : 'list|add|rm',
    summary: `edit the received-fax ${kind === 'directory' ? 'directory' : kind} through the console API`,
    subcommands: kind === 'directory' ? ['show', 'unaddressed'] : ['list', 'add', 'rm'],
    run: async (argv) => (await import('@faxgate/inbound/directory-cli')).directoryCli(kind, argv),
  })),
  // The REST API's client commands (docs/api.md), in the spirit of HylaFAX's sendfax/faxstat/faxrm.
  ...([
    ['send', '-d <number>... [--no-cover|--to-name ...] <file>...', 'send a fax through the API (FAXGATE_URL, FAXGATE_TOKEN)'],
    ['status', '[<fax id>]', 'faxes being sent, or one fax in detail'],
    ['list', '[--number|--sender|--state|--from|--to] [--all]', 'sent faxes, newest first'],
    ['cancel', '<fax id>', 'cancel a fax (a call on the line is ended)'],
    ['hold', '<fax id>', 'hold a fax: not dialled until released'],
    ['release', '<fax id>', 'release a held fax'],
    ['resend', '<fax id> [-d <number>...]', 'send a stored fax again'],
    ['received', '[--download <dir>]', 'received faxes; download them as PDF or TIFF'],
  ] as const).map(([name, synopsis, summary]): Command => ({
    name,
    synopsis,
    summary,
    subcommands: [],
    run: async (argv) => (await import('./fax-commands.ts')).faxCommand(name, argv),
  })),
  {
    name: 'tokens',
    synopsis: 'add|list|revoke',
    summary: 'API tokens: create (scopes send, read-own, read-all, admin), list, revoke',
    subcommands: ['add', 'list', 'revoke'],
    run: async (argv) => (await import('./fax-commands.ts')).faxCommand('tokens', argv),
  },
  {
    name: 'webhooks',
    synopsis: 'add|list|rm|test',
    summary: 'webhooks: signed HTTP posts when faxes are queued, sent, failed or received; test sends a sample',
    subcommands: ['add', 'list', 'rm', 'test'],
    run: async (argv) => (await import('./webhooks-cli.ts')).webhooksCli(argv),
  },
  {
    name: 'sim',
    synopsis: 'receive',
    summary: 'offer a simulated incoming fax call to a running gateway',
    subcommands: ['receive'],
    run: async (argv) => (await import('@faxgate/inbound/sim-cli')).simCli(argv),
  },
  {
    name: 'purge',
    synopsis: '<fax-id>... [--reason TEXT]',
    summary: 'delete everything stored about a finished fax (data-subject requests); an audit line stays',
    subcommands: [],
    run: async (argv) => (await import('./purge-cli.ts')).purgeCli(argv),
  },
  {
    name: 'audit',
    synopsis: 'export [--from] [--to] [--format csv|jsonl]',
    summary: 'export the audit trail of every fax by date range',
    subcommands: ['export'],
    run: async (argv) => (await import('./audit-cli.ts')).auditCli(argv),
  },
  {
    name: 'destinations',
    synopsis: 'list|show|forget|block|unblock',
    summary: 'what faxgate learned about each remote number; block or unblock one',
    subcommands: ['list', 'show', 'forget', 'block', 'unblock'],
    run: async (argv) => (await import('./destinations-cli.ts')).destinationsCli(argv),
  },
  {
    name: 'usage',
    synopsis: '[--month YYYY-MM] [--sender ADDRESS]',
    summary: 'pages and line minutes per sender and domain, per month or day',
    subcommands: [],
    run: async (argv) => (await import('./usage-cli.ts')).usageCli(argv),
  },
];

/** The overview `faxgate --help` prints: every command of the table. */
export function overview(): string {
  const heads = COMMANDS.map((c) => `${c.name} ${c.synopsis}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return `usage: faxgate <command> [--help]

${COMMANDS.map((c, i) => `  ${heads[i].padEnd(width)}${c.summary}`).join('\n')}

Every command and subcommand answers --help (or -h) with its usage; \`faxgate help <command>\` too.
`;
}
