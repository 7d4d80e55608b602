import { parseArgs } from 'node:util';
import { consoleClient, reportError } from './console-client.ts';
import type { DirectoryUser, RouteRule } from '@faxgate/directory';

const USAGE = `usage:
  faxgate users list
  faxgate users add <id> --email <addr> [--email <addr>...] [--name <text>] [--format pdf|tiff|both]
                         [--did <number>...] [--mailbox <digits>] [--phone <number>] [--fax <number>] [--replace]
  faxgate users rm <id>
  faxgate routes list
  faxgate routes add --user <id> [--csid <regex>] [--calling <pattern>] [--pool <pool>] [--line <line>] [--at <index>]
  faxgate routes rm <index>
  faxgate directory show
  faxgate directory unaddressed <addr>...
  -h, --help   this text
The console API is reached at FAXGATE_CONSOLE_URL with FAXGATE_CONSOLE_TOKEN.
`;

/** `faxgate users|routes|directory ...`: edits the directory through the console API. */
export async function directoryCli(kind: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(kind, argv, env);
  } catch (err) {
    process.stderr.write(`faxgate: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The subcommands of each command, as the switch in run() takes them. */
const VERBS: Record<string, readonly string[]> = { users: ['list', 'add', 'rm'], routes: ['list', 'add', 'rm'], directory: ['show', 'unaddressed'] };

async function run(kind: string, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const api = consoleClient(env);
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!VERBS[kind]?.includes(verb)) {
    const what = verb === undefined ? 'missing subcommand' : `unknown ${verb.startsWith('-') ? 'option' : 'subcommand'} "${verb}"`;
    process.stderr.write(`faxgate ${kind}: ${what} (${VERBS[kind]?.join(', ')})\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        email: { type: 'string', multiple: true }, name: { type: 'string' }, format: { type: 'string' }, did: { type: 'string', multiple: true },
        mailbox: { type: 'string' }, phone: { type: 'string' }, fax: { type: 'string' }, replace: { type: 'boolean' }, user: { type: 'string' }, csid: { type: 'string' }, calling: { type: 'string' },
        pool: { type: 'string' }, line: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`faxgate ${kind} ${verb}: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals: pos } = args;
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const done = (r: { status: number; json: Record<string, unknown> }, what: string) => {
    if (r.status >= 300) return reportError(r);
    process.stdout.write(`${what} (directory version ${String(r.json.version).slice(0, 12)})\n`);
    return 0;
  };
  switch (`${kind} ${verb}`) {
    case 'users list': {
      const r = await api.call('GET', '/api/v1/users');
      if (r.status >= 300) return reportError(r);
      const users = r.json.users as DirectoryUser[];
      if (o.json) process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
      else for (const u of users) process.stdout.write(`${u.id.padEnd(16)} ${u.format.padEnd(5)} ${u.emails.join(', ')}${u.dids.length ? `  dids ${u.dids.join(', ')}` : ''}${u.mailbox ? `  mailbox ${u.mailbox}` : ''}\n`);
      return 0;
    }
    case 'users add': {
      if (pos.length !== 1) break;
      const user = { id: pos[0], emails: o.email ?? [], ...(o.name ? { name: o.name } : {}), ...(o.format ? { format: o.format } : {}), ...(o.did ? { dids: o.did } : {}), ...(o.mailbox ? { mailbox: o.mailbox } : {}), ...(o.phone ? { phone: o.phone } : {}), ...(o.fax ? { fax: o.fax } : {}) };
      const r = o.replace ? await api.call('PUT', `/api/v1/users/${encodeURIComponent(pos[0])}`, user) : await api.call('POST', '/api/v1/users', user);
      return done(r, `user ${pos[0]} ${o.replace ? 'saved' : 'added'}`);
    }
    case 'users rm':
      if (pos.length !== 1) break;
      return done(await api.call('DELETE', `/api/v1/users/${encodeURIComponent(pos[0])}`), `user ${pos[0]} removed`);
    case 'routes list': {
      const r = await api.call('GET', '/api/v1/routes');
      if (r.status >= 300) return reportError(r);
      for (const x of r.json.routes as Array<RouteRule & { index: number }>) {
        process.stdout.write(`[${x.index}] ${Object.entries(x.match).map(([k, v]) => `${k}=${v}`).join(' ')} -> ${x.user}\n`);
      }
      return 0;
    }
    case 'routes add': {
      const match = Object.fromEntries((['csid', 'calling', 'pool', 'line'] as const).filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
      const r = await api.call('POST', '/api/v1/routes', { match, user: o.user, ...(o.at !== undefined ? { position: Number(o.at) } : {}) });
      return done(r, 'route added');
    }
    case 'routes rm':
      if (pos.length !== 1) break;
      return done(await api.call('DELETE', `/api/v1/routes/${encodeURIComponent(pos[0])}`), `route [${pos[0]}] removed`);
    case 'directory show': {
      const r = await api.call('GET', '/api/v1/directory');
      if (r.status >= 300) return reportError(r);
      process.stdout.write(`${JSON.stringify(r.json, null, 2)}\n`);
      return 0;
    }
    case 'directory unaddressed':
      if (pos.length === 0) break;
      return done(await api.call('PUT', '/api/v1/directory/unaddressed', { unaddressed: pos }), `unaddressed mailbox set to ${pos.join(', ')}`);
  }
  process.stderr.write(`faxgate ${kind} ${verb}: wrong arguments\n${USAGE}`);
  return 2;
}
