import type { Redis } from 'ioredis';
import { senderDomain, senderKey, type QuotaLimits, type QuotaVerdict } from './quota-limits.ts';

const HOUR_MS = 3_600_000;

// KEYS: the sender's and the domain's sorted sets (number → last time it was admitted).
// ARGV: now, window, number, sender limit, domain limit.
// A sliding window: numbers older than the window drop out before counting. A number already
// in a set is not a new destination; a new one is admitted only when both sets have room, and
// is then added to both in the same script, so concurrent sessions cannot pass a limit together.
const ADMIT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limits = { tonumber(ARGV[4]), tonumber(ARGV[5]) }
for i = 1, 2 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window) end
for i = 1, 2 do
  if limits[i] > 0 and not redis.call('ZSCORE', KEYS[i], ARGV[3]) then
    local n = redis.call('ZCARD', KEYS[i])
    if n >= limits[i] then return { i, n } end
  end
end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[i], window)
end
return { 0, 0 }
`;

/**
 * The toll-fraud brake: how many distinct numbers a sender, and all senders of its domain, may
 * fax within any hour. Checked at RCPT time, so a stolen mailbox dialling premium numbers one
 * after another is stopped in the SMTP session (452), not after the calls were paid for.
 */
export class DestinationQuota {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limits: Pick<QuotaLimits, 'senderDestinationsPerHour' | 'domainDestinationsPerHour'>;

  constructor(redis: Redis, prefix: string, limits: Pick<QuotaLimits, 'senderDestinationsPerHour' | 'domainDestinationsPerHour'>) {
    this.redis = redis;
    this.prefix = prefix;
    this.limits = limits;
  }

  get enabled(): boolean {
    return this.limits.senderDestinationsPerHour > 0 || this.limits.domainDestinationsPerHour > 0;
  }

  /**
   * Admits `number` as a destination of `sender` (recording it) or refuses it. A number the
   * sender already faxed within the hour is always admitted again.
   */
  async admit(sender: string, number: string, now = Date.now()): Promise<QuotaVerdict> {
    if (!this.enabled) return { ok: true };
    const s = senderKey(sender);
    const d = senderDomain(sender);
    const keys = [`${this.prefix}:quota:dest:sender:${s}`, `${this.prefix}:quota:dest:domain:${d}`];
    const [which, used] = (await this.redis.eval(ADMIT, 2, ...keys, now, HOUR_MS, number, this.limits.senderDestinationsPerHour, this.limits.domainDestinationsPerHour)) as [number, number];
    if (which === 0) return { ok: true };
    const scope = which === 1 ? 'sender' : 'domain';
    const limit = scope === 'sender' ? this.limits.senderDestinationsPerHour : this.limits.domainDestinationsPerHour;
    const who = scope === 'sender' ? s : d;
    return { ok: false, scope, who, limit, used, detail: `${who} has faxed ${used} different numbers in the last hour, the most ${scope === 'sender' ? 'one sender' : 'one domain'} may (${limit}); try again later` };
  }
}
