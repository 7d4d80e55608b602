import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { consoleClient, reportError } from './console-client.ts';

const USAGE = `usage: faxgate sim receive --did <number> --from <number> [--csid <id>] [--sub <address>]
                           [--pool <pool>] [--fail-after <pages>] [--wait] <file.tif>
Offers a simulated incoming call to a running gateway (through the console API at
FAXGATE_CONSOLE_URL, with FAXGATE_CONSOLE_TOKEN): the node of the pool answers it on a free line,
receives the TIFF's pages, and the fax is routed and mailed like any received fax.
--fail-after N drops the call after N pages; --wait waits until the fax is delivered.
-h, --help prints this text.
`;

/** `faxgate sim receive ...` */
export async function simCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(argv, env);
  } catch (err) {
    process.stderr.write(`faxgate: ${(err as Error).message}\n`);
    return 1;
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv[0] !== 'receive') {
    const what = argv[0] === undefined ? 'missing subcommand' : `unknown ${argv[0].startsWith('-') ? 'option' : 'subcommand'} "${argv[0]}"`;
    process.stderr.write(`faxgate sim: ${what}\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: { did: { type: 'string' }, from: { type: 'string' }, csid: { type: 'string' }, sub: { type: 'string' }, pool: { type: 'string' }, 'fail-after': { type: 'string' }, wait: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`faxgate sim receive: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = args;
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!o.did || !o.from || positionals.length !== 1) {
    process.stderr.write(`faxgate sim receive: needs --did, --from and one TIFF file\n${USAGE}`);
    return 2;
  }
  const tiff = await readFile(positionals[0]);
  const q = new URLSearchParams({ did: o.did, from: o.from, ...(o.csid ? { csid: o.csid } : {}), ...(o.sub ? { sub: o.sub } : {}), ...(o.pool ? { pool: o.pool } : {}), ...(o['fail-after'] ? { failAfter: o['fail-after'] } : {}) });
  const api = consoleClient(env);
  const r = await api.call('POST', `/api/v1/sim/incoming?${q}`, tiff, 'image/tiff');
  if (r.status >= 300) return reportError(r);
  const id = String(r.json.inboundId);
  process.stdout.write(`incoming call ${id}: ${r.json.pages} page(s) offered to pool ${r.json.pool}; status at ${api.base}/api/v1/inbound/${id}\n`);
  if (!o.wait) return 0;
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const s = await api.call('GET', `/api/v1/inbound/${id}`);
    const state = String(s.json.state);
    if (state === 'delivered' || state === 'failed') {
      const route = s.json.route as { rule: string; user?: string } | undefined;
      const deliveries = (s.json.deliveries as Array<{ to: string[]; state: string }>) ?? [];
      process.stdout.write(`${state}: ${s.json.pages} page(s)${s.json.partial ? ' (partial)' : ''}, routed by ${route?.rule ?? 'nothing'}${route?.user ? ` to ${route.user}` : ''}; ${deliveries.map((d) => `${d.to.join(', ')} ${d.state}`).join('; ')}\n`);
      return state === 'delivered' ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  process.stderr.write(`faxgate: ${id} not delivered within 10 minutes\n`);
  return 1;
}
