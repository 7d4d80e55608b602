import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WebhookEventType } from './webhook-events.ts';

/** A subscription: where a user's fax events are posted, and the secret they are signed with. */
export interface Webhook {
  id: string;
  /** The user whose faxes it reports (the API token's user). */
  user: string;
  url: string;
  events: WebhookEventType[];
  /** Every fax, not only the user's own (needs the read-all or admin scope at creation). */
  all: boolean;
  /** The token that created it, for the record. */
  tokenId?: string;
  description?: string;
  createdAt: string;
  /** The HMAC key; kept in clear because each delivery signs with it (like Stripe's). */
  secret: string;
}

/** One try of one delivery, as the delivery log of a fax shows it. */
export interface DeliveryLogEntry {
  at: string;
  webhook: string;
  url: string;
  event: string;
  eventId: string;
  attempt: number;
  /** delivered (2xx), retrying (will try again), failed (gave up: this was the last try). */
  outcome: 'delivered' | 'retrying' | 'failed';
  status?: number;
  error?: string;
  ms: number;
}

/** How long a fax's delivery log is kept: as long as fax records (FAXGATE_RETENTION_RECORDS' default). */
const LOG_TTL_SECONDS = 400 * 86400;
const LOG_MAX = 500;

/** Webhooks in Redis: one hash of id → JSON, and one capped list per fax of its deliveries. */
export class WebhookStore {
  private readonly redis: Redis;
  private readonly key: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.key = `${queuePrefix}:webhooks`;
  }

  private logKey(subjectId: string) {
    return `${this.key}:log:${subjectId}`;
  }

  async add(w: Omit<Webhook, 'id' | 'createdAt'>): Promise<Webhook> {
    const hook: Webhook = { id: `wh${randomBytes(8).toString('hex')}`, createdAt: new Date().toISOString(), ...w };
    await this.redis.hset(this.key, hook.id, JSON.stringify(hook));
    return hook;
  }

  async get(id: string): Promise<Webhook | undefined> {
    const raw = await this.redis.hget(this.key, id);
    return raw ? (JSON.parse(raw) as Webhook) : undefined;
  }

  async list(): Promise<Webhook[]> {
    const all = await this.redis.hvals(this.key);
    return all.map((s) => JSON.parse(s) as Webhook).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.key);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, id)) === 1;
  }

  async log(subjectId: string, e: DeliveryLogEntry): Promise<void> {
    const k = this.logKey(subjectId);
    await this.redis.multi().rpush(k, JSON.stringify(e)).ltrim(k, -LOG_MAX, -1).expire(k, LOG_TTL_SECONDS).exec();
  }

  async deliveries(subjectId: string): Promise<DeliveryLogEntry[]> {
    return (await this.redis.lrange(this.logKey(subjectId), 0, -1)).map((s) => JSON.parse(s) as DeliveryLogEntry);
  }
}

/** The webhook as listed: everything but the secret, which is shown once, at creation. */
export function publicWebhook(w: Webhook) {
  const { secret: _secret, ...rest } = w;
  return rest;
}
