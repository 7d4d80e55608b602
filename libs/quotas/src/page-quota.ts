import type { Redis } from 'ioredis';
import { senderDomain, senderKey, utcDay, type QuotaLimits, type QuotaVerdict } from './quota-limits.ts';

const TWO_DAYS_S = 2 * 86_400;

// KEYS: sender's day counter, domain's day counter, the day's reservations hash.
// ARGV: pages, sender limit, domain limit, reservation id, ttl.
// A reservation id already in the hash is admitted again without counting twice (a retried job,
// a second call of the same recipient); otherwise the pages go on both counters only when both
// stay within their limits.
const RESERVE = `
if redis.call('HEXISTS', KEYS[3], ARGV[4]) == 1 then return { 0, 0 } end
local pages = tonumber(ARGV[1])
local limits = { tonumber(ARGV[2]), tonumber(ARGV[3]) }
for i = 1, 2 do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if limits[i] > 0 and used + pages > limits[i] then return { i, used } end
end
for i = 1, 2 do
  redis.call('INCRBY', KEYS[i], pages)
  redis.call('EXPIRE', KEYS[i], ARGV[5])
end
redis.call('HSET', KEYS[3], ARGV[4], pages)
redis.call('EXPIRE', KEYS[3], ARGV[5])
return { 0, 0 }
`;

/**
 * Pages per day per sender and per domain. The page count is known only once the message is
 * rendered, so this is checked at queue time (before the first call of a recipient): dispatch
 * calls reserve() with the recipient's pages and fails the recipient with the refusal's detail
 * (error code QUOTA_PAGES) when it is refused; the result mail says why.
 */
export class PageQuota {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limits: Pick<QuotaLimits, 'senderPagesPerDay' | 'domainPagesPerDay'>;

  constructor(redis: Redis, prefix: string, limits: Pick<QuotaLimits, 'senderPagesPerDay' | 'domainPagesPerDay'>) {
    this.redis = redis;
    this.prefix = prefix;
    this.limits = limits;
  }

  get enabled(): boolean {
    return this.limits.senderPagesPerDay > 0 || this.limits.domainPagesPerDay > 0;
  }

  /**
   * Reserves `pages` of today's allowance of `sender` under `reservation` (e.g. `<faxId>-r<n>`):
   * the same reservation asked again is admitted without counting again.
   */
  async reserve(sender: string, pages: number, reservation: string, now = Date.now()): Promise<QuotaVerdict> {
    if (!this.enabled) return { ok: true };
    const day = utcDay(now);
    const s = senderKey(sender);
    const d = senderDomain(sender);
    const keys = [`${this.prefix}:quota:pages:sender:${s}:${day}`, `${this.prefix}:quota:pages:domain:${d}:${day}`, `${this.prefix}:quota:pages:reserved:${day}`];
    const [which, used] = (await this.redis.eval(RESERVE, 3, ...keys, pages, this.limits.senderPagesPerDay, this.limits.domainPagesPerDay, reservation, TWO_DAYS_S)) as [number, number];
    if (which === 0) return { ok: true };
    const scope = which === 1 ? 'sender' : 'domain';
    const limit = scope === 'sender' ? this.limits.senderPagesPerDay : this.limits.domainPagesPerDay;
    const who = scope === 'sender' ? s : d;
    return { ok: false, scope, who, limit, used, detail: `${who} has faxed ${used} of ${limit} pages today (UTC) and this fax has ${pages}` };
  }
}
