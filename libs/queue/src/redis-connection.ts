import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis options by use (BullMQ production guide): workers block and must retry forever;
 * anything that enqueues inside an SMTP or HTTP request must fail fast so the client gets a
 * 451 or 503 instead of a hung connection.
 */
export type ConnectionUse = 'worker' | 'request' | 'background';

export function createRedis(url: string, use: ConnectionUse, extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 6), 5000),
  };
  const byUse: Record<ConnectionUse, RedisOptions> = {
    worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
    request: { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 5000 },
    background: { maxRetriesPerRequest: 3, enableOfflineQueue: true, commandTimeout: 10_000 },
  };
  const client = new Redis(url, { ...common, ...byUse[use], ...extra });
  // Errors are reported through readiness and the commands that fail; an unhandled 'error'
  // event would crash the process while Redis restarts.
  client.on('error', () => {});
  return client;
}
