// `faxgate audit export`: the audit trail by date range, as CSV or JSON lines, read from Redis
// (FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX) like the gateway.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

const USAGE = `usage: faxgate audit export [--from DATE] [--to DATE] [--format csv|jsonl] [-o FILE]

  Writes the audit trail (every fax's accepted, rendered, calls and outcomes, result mails,
  cancels and purges, and the same for received faxes) from --from to --to, oldest first.
  DATE is a day (2026-12-01: --to includes that day) or an ISO time (2026-12-01T08:00:00Z:
  --to excludes it); without --from the trail's start, without --to now. CSV follows RFC 4180
  with a header line; jsonl is one JSON object per line. To stdout unless -o is given.

  Uses FAXGATE_REDIS_URL and FAXGATE_QUEUE_PREFIX as the gateway does.
`;

export async function auditCli(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (sub !== 'export') {
    process.stderr.write(`faxgate audit: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`}\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'csv' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const format = args.values.format;
  if (format !== 'csv' && format !== 'jsonl') {
    process.stderr.write(`faxgate audit: --format is csv or jsonl, not "${format}"\n`);
    return 2;
  }
  const { AuditLog, auditRange, formatAudit } = await import('@faxgate/audit');
  let range;
  try {
    range = auditRange(args.values.from, args.values.to);
  } catch (err) {
    process.stderr.write(`faxgate audit: ${(err as Error).message}\n`);
    return 2;
  }
  const { baseSchema, loadConfig } = await import('@faxgate/config');
  const { createRedis } = await import('@faxgate/queue');
  const base = loadConfig('base', baseSchema, process.env);
  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  const out = args.values.output ? createWriteStream(args.values.output, { mode: 0o600 }) : process.stdout;
  try {
    const log = new AuditLog(redis, base.FAXGATE_QUEUE_PREFIX);
    for await (const chunk of formatAudit(log.range(range.fromMs, range.toMs), format)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
  } catch (err) {
    process.stderr.write(`faxgate audit: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
  return 0;
}
