// `faxgate destinations list|show|forget|block|unblock`: destination memory (issue 14), what
// faxgate learned about each remote number, and the admin's block. Talks to Redis directly
// (FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX), so run it where the gateway runs.
import { parseArgs } from 'node:util';
import { userInfo } from 'node:os';
import type { DestinationRecord } from '@faxgate/destinations';

const USAGE = `usage: faxgate destinations list [--limit N] [--json]
       faxgate destinations show <number> [--json]
       faxgate destinations forget <number>
       faxgate destinations block <number> [--reason TEXT]
       faxgate destinations unblock <number>

  What faxgate remembers about each remote fax number (HylaFAX's info/ database): what its
  DIS offered, its CSI, the speed that last worked, training failures, ECM trouble, failed
  calls and when. A number that answered without a fax tone, or failed too often
  (FAXGATE_DESTINATION_MAX_FAILURES within FAXGATE_DESTINATION_FAILURE_WINDOW), is held for
  FAXGATE_DESTINATION_HOLD; a blocked number is never dialled. Faxes to either fail with the
  reason in the result mail.

  forget   drops everything learned (and any hold or block) about the number
  block    refuses faxes to it until unblocked (--reason is shown to senders)
  unblock  lifts a block and a failure hold; what was learned stays

  Each forget, block and unblock leaves a line in the audit trail (faxgate audit export).

  Numbers are E.164 (+12125550100) or national numbers of FAXGATE_DEFAULT_COUNTRY.
  Uses FAXGATE_REDIS_URL and FAXGATE_QUEUE_PREFIX as the gateway does.
`;

const SUBCOMMANDS = ['list', 'show', 'forget', 'block', 'unblock'];

export async function destinationsCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, limit: { type: 'string' }, reason: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate destinations: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [sub, raw, ...extra] = args.positionals;
  if (!sub || !SUBCOMMANDS.includes(sub)) {
    process.stderr.write(`faxgate destinations: ${sub ? `unknown subcommand "${sub}"` : 'which subcommand?'}\n${USAGE}`);
    return 2;
  }
  if ((sub !== 'list' && !raw) || extra.length || (sub === 'list' && raw)) {
    process.stderr.write(`faxgate destinations ${sub}: ${sub === 'list' ? 'takes no number' : 'give one number'}\n${USAGE}`);
    return 2;
  }
  const limit = args.values.limit === undefined ? 100 : Number(args.values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write(`faxgate destinations: --limit must be a positive whole number\n`);
    return 2;
  }
  const { baseSchema, loadConfig, sharedFields } = await import('@faxgate/config');
  const base = loadConfig('destinations', baseSchema.extend({ FAXGATE_DEFAULT_COUNTRY: sharedFields.FAXGATE_DEFAULT_COUNTRY }), process.env);
  let number = '';
  if (raw) {
    const { destinationNumber } = await import('@faxgate/destinations');
    const n = destinationNumber(raw, base.FAXGATE_DEFAULT_COUNTRY);
    if (!n.ok) {
      process.stderr.write(`faxgate destinations: ${n.detail}\n`);
      return 2;
    }
    number = n.e164;
  }
  const { createRedis } = await import('@faxgate/queue');
  const { Destinations, auditDestinationEdit } = await import('@faxgate/destinations');
  const { AuditLog } = await import('@faxgate/audit');
  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  const dest = new Destinations(redis, base.FAXGATE_QUEUE_PREFIX);
  const audit = new AuditLog(redis, base.FAXGATE_QUEUE_PREFIX);
  const by = `cli:${userInfo().username}`;
  const out = (s: string) => process.stdout.write(s);
  try {
    switch (sub) {
      case 'list': {
        const all = await dest.list(limit);
        if (args.values.json) out(`${JSON.stringify(all, null, 2)}\n`);
        else if (all.length === 0) out('no destinations known yet\n');
        else for (const d of all) out(`${summaryLine(d)}\n`);
        return 0;
      }
      case 'show': {
        const d = await dest.get(number);
        if (!d) {
          process.stderr.write(`${number}: nothing known about this number\n`);
          return 1;
        }
        out(args.values.json ? `${JSON.stringify(d, null, 2)}\n` : describe(d));
        return 0;
      }
      case 'forget':
        out((await dest.forget(number, auditDestinationEdit(audit, 'forgotten', number, by))) ? `${number}: forgotten\n` : `${number}: nothing was known about it\n`);
        return 0;
      case 'block': {
        await dest.block(number, by, args.values.reason, auditDestinationEdit(audit, 'blocked', number, by, args.values.reason));
        out(`${number}: blocked by ${by}${args.values.reason ? ` (${args.values.reason})` : ''}\n`);
        return 0;
      }
      default:
        await dest.unblock(number, auditDestinationEdit(audit, 'unblocked', number, by));
        out(`${number}: unblocked\n`);
        return 0;
    }
  } catch (err) {
    process.stderr.write(`faxgate destinations: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

function status(d: DestinationRecord, now = Date.now()): string {
  if (d.blocked) return 'blocked';
  if (d.heldUntil && Date.parse(d.heldUntil) > now) return `held until ${d.heldUntil}`;
  return 'ok';
}

function summaryLine(d: DestinationRecord): string {
  return [d.number.padEnd(16), status(d).padEnd(34), `${d.calls} call(s)`.padEnd(12), `last ${d.lastResult ?? '-'} ${d.lastCallAt ?? ''}`.trim(), d.csi ? `CSI "${d.csi}"` : ''].filter(Boolean).join('  ');
}

function describe(d: DestinationRecord): string {
  const rows: Array<[string, string | number | undefined]> = [
    ['Number', d.number],
    ['Status', status(d)],
    ['Held because', d.heldUntil && Date.parse(d.heldUntil) > Date.now() ? d.heldWhy : undefined],
    ['Blocked', d.blocked ? `by ${d.blocked.by} at ${d.blocked.at}${d.blocked.reason ? `: ${d.blocked.reason}` : ''}` : undefined],
    ['Remote CSI', d.csi],
    ['Calls', `${d.calls} (first ${d.firstCallAt ?? '-'}, last ${d.lastCallAt ?? '-'})`],
    ['Last result', d.lastResult ? `${d.lastResult}${d.lastReason ? `: ${d.lastReason}` : ''}` : undefined],
    ['Last success', d.lastSuccessAt],
    ['Good speed', d.lastGoodSpeed ? `${d.lastGoodSpeed} bit/s` : undefined],
    ['DIS offered', d.dis ? [d.dis.rates?.length ? `rates ${d.dis.rates.join('/')}` : '', d.dis.ecm ? 'ECM' : 'no ECM', d.dis.mmr ? 'MMR' : '', d.dis.mr ? 'MR' : '', d.dis.fine ? 'fine' : '', d.dis.superfine ? 'superfine' : '', d.dis.widths?.length ? `widths ${d.dis.widths.join('/')}` : ''].filter(Boolean).join(', ') : undefined],
    ['Training', d.trainingFailures ? Object.entries(d.trainingFailures).map(([rate, n]) => `${n} failure(s) at ${rate}`).join(', ') : undefined],
    ['ECM trouble', d.ecmTrouble ? `${d.ecmTrouble} call(s)` : undefined],
    ['Failures', d.consecutiveFailures ? `${d.consecutiveFailures} in a row; recent: ${d.failureTimes.slice(-5).join(', ')}` : '0'],
    ['No fax tone', d.noFaxToneAt],
  ];
  return `${rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join('\n')}\n`;
}
