// `faxgate usage`: pages and line minutes per sender and domain, per month or day, read from
// Redis (FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX) like the gateway.
import { parseArgs } from 'node:util';

const USAGE = `usage: faxgate usage [--month YYYY-MM | --day YYYY-MM-DD] [--sender ADDRESS | --domain DOMAIN] [--daily] [--json]

  Pages the far end confirmed, line minutes and faxes (recipients ended) per sender domain and
  per sender, counted when each recipient ended (UTC days and months). Without --month or --day
  the current month. --sender shows that sender and its domain; --domain that domain and its
  senders; --daily one table per day of the month.

  Uses FAXGATE_REDIS_URL and FAXGATE_QUEUE_PREFIX as the gateway does.
`;

export async function usageCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { month: { type: 'string' }, day: { type: 'string' }, sender: { type: 'string' }, domain: { type: 'string' }, daily: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate usage: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (v.month && v.day) return fail('give --month or --day, not both');
  if (v.month && !/^\d{4}-(0[1-9]|1[0-2])$/.test(v.month)) return fail(`--month is YYYY-MM, not "${v.month}"`);
  if (v.day && !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(v.day)) return fail(`--day is YYYY-MM-DD, not "${v.day}"`);
  if (v.daily && v.day) return fail('--daily goes with a month');
  const period = v.day ?? v.month ?? new Date().toISOString().slice(0, 7);
  const filter = { sender: v.sender, domain: v.domain };
  const { baseSchema, loadConfig } = await import('@faxgate/config');
  const { createRedis } = await import('@faxgate/queue');
  const { UsageLedger } = await import('@faxgate/quotas');
  const base = loadConfig('base', baseSchema, process.env);
  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  try {
    const ledger = new UsageLedger(redis, base.FAXGATE_QUEUE_PREFIX);
    const tables = v.daily ? (await ledger.days(period, filter)).map((d) => ({ period: d.day, rows: d.rows })) : [{ period, rows: await ledger.totals(period, filter) }];
    if (v.json) {
      process.stdout.write(`${JSON.stringify(tables.map((t) => ({ period: t.period, rows: t.rows.map((r) => ({ ...r, lineMinutes: minutes(r.lineMs) })) })))}\n`);
      return 0;
    }
    for (const t of tables) process.stdout.write(formatTable(t.period, t.rows));
    if (tables.every((t) => t.rows.length === 0)) process.stdout.write(`no usage recorded for ${period}${v.sender ? ` by ${v.sender}` : v.domain ? ` in ${v.domain}` : ''}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`faxgate usage: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

function fail(message: string): number {
  process.stderr.write(`faxgate usage: ${message}\n${USAGE}`);
  return 2;
}

function minutes(ms: number): number {
  return Math.round(ms / 600) / 100;
}

function formatTable(period: string, rows: Array<{ scope: string; name: string; faxes: number; pages: number; lineMs: number }>): string {
  if (rows.length === 0) return '';
  const head = ['', 'faxes', 'pages', 'line min'];
  const body = rows.map((r) => [`${r.scope === 'domain' ? '@' : '  '}${r.name}`, String(r.faxes), String(r.pages), minutes(r.lineMs).toFixed(2)]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  return `${period}\n${line(head)}\n${body.map(line).join('\n')}\n\n`;
}
