import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The lock lives this long unless renewed, so a node that dies mid-poll blocks the pool briefly only. */
const LOCK_MS = 60_000;
const RENEW_MS = 20_000;

// Only the holder may renew or release: a lock that expired and went to another poll stays theirs.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface PollGuard {
  /** Runs `poll` unless a poll of the pool is running, here or on another node; false when skipped. */
  run(poll: () => Promise<void>): Promise<boolean>;
}

/**
 * Keeps polls of one pool's fax server from overlapping. The job scheduler queues the next poll
 * when one starts, so a poll slower than the interval (a server that hangs) would meet the next
 * one on another node: an in-process flag and a Redis lock per pool make that one skip.
 */
export function createPollGuard(redis: Redis, prefix: string, pool: string): PollGuard {
  const key = `${prefix}:poll-lock:${pool}`;
  let running = false;
  return {
    async run(poll) {
      if (running) return false;
      running = true;
      const token = randomBytes(12).toString('hex');
      try {
        if ((await redis.set(key, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return false;
        const renew = setInterval(() => void redis.eval(RENEW, 1, key, token, String(LOCK_MS)).catch(() => {}), RENEW_MS);
        renew.unref();
        try {
          await poll();
        } finally {
          clearInterval(renew);
          await redis.eval(RELEASE, 1, key, token).catch(() => {});
        }
        return true;
      } finally {
        running = false;
      }
    },
  };
}
