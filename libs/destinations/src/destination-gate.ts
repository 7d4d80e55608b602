import type { Redis } from 'ioredis';

// One sorted set per number: members are the calls holding a slot, scores when their lease
// ends. A node renews its lease while the call runs; a node that dies stops renewing and its
// slot frees itself when the lease ends. The set itself expires one lease after its latest
// member's lease (a relative PEXPIRE, so the node's clock and Redis's need not agree), and every
// change sets that again: ZADD keeps a key's expiry as it is, and an expiry set once at the
// first acquire dropped a call's slot after twice the lease however often it was renewed.
const EXPIRE_AFTER_LATEST = `
local function expireAfterLatest(now, lease)
  local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
  if latest then redis.call('PEXPIRE', KEYS[1], math.max(1, math.floor(tonumber(latest) - now) + lease)) end
end
`;
const ACQUIRE = `${EXPIRE_AFTER_LATEST}
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
expireAfterLatest(now, lease)
return 1
`;
// Renew (XX: a slot given back stays given back) and hold (whatever the limit) differ only in
// the ZADD flag.
const SET_LEASE = `${EXPIRE_AFTER_LATEST}
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
if ARGV[4] == 'XX' and not redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
expireAfterLatest(now, lease)
return 1
`;

/**
 * At most N calls at a time to one number, across every node of every pool (HylaFAX's
 * MaxConcurrentCalls, default 1): two faxes to the same machine never dial at once, the second
 * waits for the first call to end.
 */
export class DestinationGate {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:dest:calls`;
  }

  private key(number: string) {
    return `${this.prefix}:${number}`;
  }

  /** Takes a slot for `callId` (true), or false when `max` other calls to the number hold one. */
  async acquire(number: string, callId: string, max: number, leaseMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.key(number), Date.now(), leaseMs, max, callId)) === 1;
  }

  /** Extends the lease of a slot held by `callId`. */
  async renew(number: string, callId: string, leaseMs: number): Promise<void> {
    await this.redis.eval(SET_LEASE, 1, this.key(number), Date.now(), leaseMs, callId, 'XX');
  }

  /**
   * Takes a slot for a call that is on the line already, whatever the limit: a fax server's job
   * that a node follows after the node that submitted it stopped (its slot lapsed meanwhile, and
   * another call may hold the number by now). Counted from here on, so no further call dials
   * the number beside it.
   */
  async hold(number: string, callId: string, leaseMs: number): Promise<void> {
    await this.redis.eval(SET_LEASE, 1, this.key(number), Date.now(), leaseMs, callId, 'ANY');
  }

  async release(number: string, callId: string): Promise<void> {
    await this.redis.zrem(this.key(number), callId);
  }

  /** When the slot `callId` holds on the number lapses unless renewed (ms since the epoch); undefined when it holds none. */
  async leaseEnd(number: string, callId: string): Promise<number | undefined> {
    const score = await this.redis.zscore(this.key(number), callId);
    return score === null ? undefined : Number(score);
  }

  /** The calls holding a slot now. */
  async holders(number: string): Promise<string[]> {
    return this.redis.zrangebyscore(this.key(number), Date.now(), '+inf');
  }
}
