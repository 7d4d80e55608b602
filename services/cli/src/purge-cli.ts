// `faxgate purge <id>...`: deletes everything faxgate holds about a fax or a received fax (a
// data-subject request), leaving only its `purged` audit line. Talks to Redis and the data
// directory directly (FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX, FAXGATE_DATA_DIR), so run it where
// the gateway runs (or `kubectl exec` into a faxgate pod).
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `usage: faxgate purge <fax-id|received-fax-id>... [--reason TEXT]

  Deletes the stored message, the rendered or received pages and the records of each fax
  (fx…) or received fax (in…), and writes one "purged" line to the audit trail saying what
  was deleted, by whom and why (--reason, e.g. the request's reference). A fax still in flight
  is refused: cancel it or wait until it is finished. Exit 0 when every id was purged, 1 when
  one was refused.

  Uses FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX and FAXGATE_DATA_DIR as the gateway does.
`;

export async function purgeCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate purge: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) {
    process.stderr.write(`faxgate purge: which fax? give one or more ids\n${USAGE}`);
    return 2;
  }
  const { baseSchema, loadConfig } = await import('@faxgate/config');
  const { createRedis } = await import('@faxgate/queue');
  const { BlobStore, FaxRecords, InboundRecords } = await import('@faxgate/store');
  const { purgeOne } = await import('@faxgate/retention');
  const base = loadConfig('base', baseSchema, process.env);
  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  const deps = { records: new FaxRecords(redis, base.FAXGATE_QUEUE_PREFIX), inbound: new InboundRecords(redis, base.FAXGATE_QUEUE_PREFIX), blobs: new BlobStore(resolve(base.FAXGATE_DATA_DIR)) };
  const actor = `cli:${userInfo().username}`;
  let refused = 0;
  try {
    for (const id of args.positionals) {
      const r = await purgeOne(deps, id, actor, args.values.reason);
      if (r.purged) process.stdout.write(`${id}: purged (${r.removed.join(', ')})\n`);
      else {
        refused++;
        process.stderr.write(`${id}: not purged: ${r.refused}\n`);
      }
    }
  } catch (err) {
    process.stderr.write(`faxgate purge: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
  return refused ? 1 : 0;
}
