import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';

/** Used memory above this share of maxmemory makes /readyz warn (and should page someone). */
export const REDIS_MEMORY_WARN_RATIO = 0.9;

export interface RedisMemory {
  usedBytes: number;
  /** 0: no limit set. */
  maxBytes: number;
  policy: string;
}

/** Redis's own account of its memory (INFO memory). */
export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return { usedBytes: Number(field('used_memory')) || 0, maxBytes: Number(field('maxmemory')) || 0, policy: field('maxmemory_policy') };
}

/**
 * Why Redis's memory needs the operator's attention, or undefined. With `noeviction` a full
 * Redis refuses writes (OOM errors: SMTP answers 451, jobs retry) rather than losing queued faxes
 * to eviction or being OOM-killed; this says so before it happens.
 */
export function redisMemoryWarning(m: RedisMemory, ratio = REDIS_MEMORY_WARN_RATIO): string | undefined {
  if (m.policy && m.policy !== 'noeviction') {
    return `Redis maxmemory-policy is ${m.policy}: it may evict queued jobs and fax records; set maxmemory-policy noeviction`;
  }
  if (m.maxBytes === 0) return 'Redis has no maxmemory: when the machine runs out of memory it is OOM-killed instead of refusing writes; set maxmemory (docs/operations.md)';
  const share = m.usedBytes / m.maxBytes;
  if (share >= 1) return `Redis is full (${mib(m.usedBytes)} of maxmemory ${mib(m.maxBytes)}): new faxes are refused with SMTP 451 until memory is freed or maxmemory raised`;
  if (share >= ratio) return `Redis memory at ${Math.floor(share * 100)} % of maxmemory (${mib(m.usedBytes)} of ${mib(m.maxBytes)}): new faxes will be refused with SMTP 451 when it is full`;
  return undefined;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/** faxgate_redis_memory_used_bytes and faxgate_redis_memory_max_bytes, read from Redis at each scrape. */
export function registerRedisMemoryMetrics(registry: Registry, redis: Redis): void {
  let pending: Promise<RedisMemory | undefined> | undefined;
  // Both gauges are collected in one scrape: one INFO answers them.
  const read = () => {
    pending ??= redisMemory(redis).catch(() => undefined).finally(() => setTimeout(() => { pending = undefined; }, 0));
    return pending;
  };
  new Gauge({
    name: 'faxgate_redis_memory_used_bytes',
    help: 'Memory Redis uses (INFO used_memory); alert above 90 % of faxgate_redis_memory_max_bytes',
    registers: [registry],
    async collect() {
      const m = await read();
      if (m) this.set(m.usedBytes);
    },
  });
  new Gauge({
    name: 'faxgate_redis_memory_max_bytes',
    help: 'Redis maxmemory (0: no limit); with noeviction, writes are refused once used memory reaches it',
    registers: [registry],
    async collect() {
      const m = await read();
      if (m) this.set(m.maxBytes);
    },
  });
}
