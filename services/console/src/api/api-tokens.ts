import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * What a token may do. `read-own` sees the faxes its user sent (and received faxes routed to
 * that user); `read-all` sees every fax; `send` submits, resends and cancels its user's faxes;
 * `admin` is everything, tokens and the directory included (the console's basic-auth user).
 */
export const SCOPES = ['send', 'read-own', 'read-all', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** A token as it is stored and listed: never the secret, only its SHA-256. */
export interface ApiToken {
  id: string;
  /** Whose faxes these are: the fax record's `authUser`, the directory user of received faxes. */
  user: string;
  /** Where result mails of faxes sent with this token go (the fax's envelope sender). */
  email?: string;
  scopes: Scope[];
  /** A label for people (`billing server`, `front desk`). */
  name?: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt?: string;
}

/** The secret is shown once, at creation: `fgt_<id>_<secret>`. */
const TOKEN_RE = /^fgt_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
/** A user name: what SMTP AUTH and the directory use too (letters, digits, . _ @ + -). */
export const USER_RE = /^[A-Za-z0-9._@+-]{1,100}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * API tokens in Redis: one hash per token holding its user, scopes and the SHA-256 of its
 * 32-byte random secret. A 256-bit random secret needs no slow password hash (nothing to
 * brute-force), and storing only the digest means a Redis dump gives no usable token.
 */
export class ApiTokens {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:api:token`;
  }

  private key(id: string) {
    return `${this.prefix}:${id}`;
  }

  /** Creates a token and returns it with its secret (the only time the secret exists outside the caller). */
  async create(input: { user: string; email?: string; scopes: Scope[]; name?: string; createdBy: string }): Promise<{ token: string; record: ApiToken }> {
    const id = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const token = `fgt_${id}_${secret}`;
    const record: ApiToken = {
      id,
      user: input.user,
      ...(input.email ? { email: input.email } : {}),
      scopes: [...new Set(input.scopes)],
      ...(input.name ? { name: input.name } : {}),
      createdAt: new Date().toISOString(),
      createdBy: input.createdBy,
    };
    await this.redis
      .multi()
      .hset(this.key(id), { record: JSON.stringify(record), hash: sha256(secret).toString('hex') })
      .zadd(`${this.prefix}s`, Date.now(), id)
      .exec();
    return { token, record };
  }

  /** The token a bearer string names, when its secret matches; undefined otherwise. */
  async verify(bearer: string): Promise<ApiToken | undefined> {
    const m = TOKEN_RE.exec(bearer);
    if (!m) return undefined;
    const [record, hash] = await this.redis.hmget(this.key(m[1]), 'record', 'hash');
    if (!record || !hash) return undefined;
    const want = Buffer.from(hash, 'hex');
    const got = sha256(m[2]);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    const token = JSON.parse(record) as ApiToken;
    // Best effort: a read-only replica or a full Redis must not refuse the request for this.
    await this.redis.hset(this.key(token.id), 'lastUsedAt', JSON.stringify(new Date().toISOString())).catch(() => {});
    return token;
  }

  async get(id: string): Promise<ApiToken | undefined> {
    const [record, lastUsed] = await this.redis.hmget(this.key(id), 'record', 'lastUsedAt');
    if (!record) return undefined;
    return { ...(JSON.parse(record) as ApiToken), ...(lastUsed ? { lastUsedAt: JSON.parse(lastUsed) as string } : {}) };
  }

  /** Every token, oldest first. */
  async list(): Promise<ApiToken[]> {
    const ids = await this.redis.zrange(`${this.prefix}s`, 0, -1);
    const out: ApiToken[] = [];
    for (const id of ids) {
      const t = await this.get(id);
      if (t) out.push(t);
    }
    return out;
  }

  /** Revokes a token at once (the next request with it gets 401); false when there was none. */
  async revoke(id: string): Promise<boolean> {
    const res = await this.redis.multi().del(this.key(id)).zrem(`${this.prefix}s`, id).exec();
    return Number(res?.[0]?.[1] ?? 0) === 1;
  }
}

/** A bearer string that looks like one of our tokens (so other bearers go to the other checks). */
export function isApiToken(bearer: string): boolean {
  return TOKEN_RE.test(bearer);
}
