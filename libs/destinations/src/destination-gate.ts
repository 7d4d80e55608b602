import type { Redis } from 'ioredis';

// One sorted set per number: members are the calls holding a slot, scores when their lease
// ends. A node renews its lease while the call runs; a node that dies stops renewing and its
// slot frees itself when the lease ends.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
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
    await this.redis.zadd(this.key(number), 'XX', Date.now() + leaseMs, callId);
  }

  async release(number: string, callId: string): Promise<void> {
    await this.redis.zrem(this.key(number), callId);
  }

  /** The calls holding a slot now. */
  async holders(number: string): Promise<string[]> {
    return this.redis.zrangebyscore(this.key(number), Date.now(), '+inf');
  }
}
