import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ElectorBase, type ElectionTiming } from './leader-elector.ts';

// Renew and release only while the key still holds our token: a lock that expired and was taken
// by another process must not be extended or deleted by the old holder.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisElectorOptions {
  redis: Redis;
  /** The Redis key of the lock, e.g. `faxgate:leader:inbound-poller`. */
  key: string;
  identity: string;
  timing?: Partial<ElectionTiming>;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * Leader election outside Kubernetes: a Redis lock taken with SET NX PX and renewed by token.
 * The value is `identity/random` so two processes that share an identity (a restarted pod
 * whose old self is still draining) never mistake each other's lock for their own.
 */
export class RedisLeaderElector extends ElectorBase {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly token: string;

  constructor(opts: RedisElectorOptions) {
    super(opts.identity, opts.timing ?? {}, opts.log);
    this.redis = opts.redis;
    this.key = opts.key;
    this.token = `${opts.identity}/${randomBytes(6).toString('hex')}`;
  }

  /** The identity of the current holder, or undefined when nobody holds the lock. */
  async holder(): Promise<string | undefined> {
    const v = await this.redis.get(this.key);
    return v ? v.slice(0, v.lastIndexOf('/')) : undefined;
  }

  protected async tryAcquireOrRenew(): Promise<boolean> {
    const ttl = String(this.timing.leaseDurationMs);
    // Renew first even when not marked leader: after a step-down on a Redis error the lock may
    // still carry our token, and waiting for it to expire would leave the work unowned.
    const renewed = (await this.redis.eval(RENEW, 1, this.key, this.token, ttl)) as number;
    if (renewed === 1) return true;
    const set = await this.redis.set(this.key, this.token, 'PX', this.timing.leaseDurationMs, 'NX');
    return set === 'OK';
  }

  protected async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
