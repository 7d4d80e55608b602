import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a key is remembered: a client retrying after a day has given up on the first answer. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

export type IdempotencyClaim =
  | { kind: 'first'; key: string }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

/**
 * `Idempotency-Key` for POST /faxes (draft-ietf-httpapi-idempotency-key-header): the first
 * request with a key claims it with SET NX, before anything is stored; a retry finds the claim
 * and gets the first answer (or 409 while the first is still running), so a fax is never sent
 * twice. Keys are per user (two users' keys never collide) and remember the request's
 * fingerprint: the same key with another fax is refused (422), as Stripe does.
 */
export class IdempotencyKeys {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:api:idem`;
  }

  private redisKey(user: string, key: string) {
    return `${this.prefix}:${createHash('sha256').update(`${user}\n${key}`).digest('hex')}`;
  }

  async claim(user: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    const k = this.redisKey(user, key);
    const ok = await this.redis.set(k, JSON.stringify({ fingerprint }), 'EX', IDEMPOTENCY_TTL_S, 'NX');
    if (ok === 'OK') return { kind: 'first', key: k };
    const raw = await this.redis.get(k);
    if (!raw) return this.claim(user, key, fingerprint);
    const stored = JSON.parse(raw) as { fingerprint: string; status?: number; body?: unknown };
    if (stored.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (stored.status === undefined) return { kind: 'in-progress' };
    return { kind: 'replay', status: stored.status, body: stored.body };
  }

  /** Stores the answer the first request got, for its retries. */
  async complete(redisKey: string, fingerprint: string, status: number, body: unknown): Promise<void> {
    await this.redis.set(redisKey, JSON.stringify({ fingerprint, status, body }), 'EX', IDEMPOTENCY_TTL_S);
  }

  /** The first request failed before anything was stored: a retry may try again. */
  async release(redisKey: string): Promise<void> {
    await this.redis.del(redisKey);
  }
}
