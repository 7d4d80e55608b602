import type { Redis } from 'ioredis';

// KEYS[1]: the fax's hash, recipient index -> attempts of the outcome seen, with a "*" until the
// job that saw it has done its check; field "_b" once the ended recipients were backfilled.
// ARGV: index, attempts, ttl seconds. Returns [backfilled before, this outcome still needs its
// check, recipients seen].
const SEEN = `
local backfilled = redis.call('HEXISTS', KEYS[1], '_b')
local new = 0
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '*')
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
  new = 1
end
return {backfilled, new, redis.call('HLEN', KEYS[1]) - backfilled}
`;

/** What a result-mail job learns from marking its recipient's outcome. */
export interface SeenOutcome {
  /** No job has finished its check for this outcome (recipient, attempts) yet. */
  isNew: boolean;
  /** Recipients of the fax whose outcome has been seen. */
  seen: number;
}

/**
 * Which recipients of a broadcast have had an outcome seen by a result-mail job: one Redis hash
 * per fax (recipient -> attempts), so a job learns in one round trip whether it may be the
 * broadcast's last, and only such a job reads every recipient to decide on the summary mail.
 *
 * A recipient is marked only by a job that found it ended, and its job is queued after its state
 * was written, so "every recipient seen" means each ended at least once; the caller still reads
 * them (one may have been reopened since). Only a new outcome can end the broadcast: a job whose
 * outcome was checked already (by itself before, or by the job that backfilled it) does not read
 * them all again; a job that died before `checked()` does its check again. A recipient reopened
 * and ended again has more attempts: a new outcome, and a new check.
 *
 * The hash holds indexes and attempt counts only (nothing personal), and expires: the first job
 * of a fax with no backfill (its first outcome, a fax from before this hash existed, or one
 * reopened after it expired) marks every recipient it finds ended, so no earlier outcome is
 * missing from the count.
 */
export class BroadcastEnd {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor(redis: Redis, queuePrefix: string, ttlSeconds = 90 * 86400) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:notify:ended`;
    this.ttlSeconds = ttlSeconds;
  }

  /**
   * Marks the outcome of `recipient` after `attempts` calls. `backfill` returns the ended
   * recipients (index, attempts) while the fax's hash has not been backfilled.
   */
  async seen(faxId: string, recipient: number, attempts: number, backfill: () => Promise<Array<{ index: number; attempts: number }>>): Promise<SeenOutcome> {
    const key = `${this.prefix}:${faxId}`;
    const [backfilled, isNew, seen] = (await this.redis.eval(SEEN, 1, key, recipient, attempts, this.ttlSeconds)) as [number, number, number];
    if (backfilled === 1) return { isNew: isNew === 1, seen };
    // Until a backfill is complete (a job that died in it leaves no "_b"), every job backfills.
    const ended = (await backfill()).filter((r) => r.index !== recipient);
    const m = this.redis.multi();
    // HSETNX: an outcome a concurrent job marked meanwhile is not overwritten by an older read.
    // Marked checked: the backfilling job's own check covers them.
    for (const r of ended) m.hsetnx(key, String(r.index), String(r.attempts));
    const res = await m.hset(key, '_b', '1').expire(key, this.ttlSeconds).hlen(key).exec();
    return { isNew: isNew === 1 || ended.length > 0, seen: Number(res?.at(-1)?.[1] ?? 1) - 1 };
  }

  /** The job that saw this outcome has done its check (queued the summary, or had no need to). */
  async checked(faxId: string, recipient: number, attempts: number): Promise<void> {
    await this.redis.hset(`${this.prefix}:${faxId}`, String(recipient), String(attempts));
  }
}
