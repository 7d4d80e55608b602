import type { ChainableCommander, Redis } from 'ioredis';
import type { AuditEvent, StoredAuditEvent } from './audit-event.ts';

/**
 * The audit trail: one Redis stream per gateway (`<prefix>:audit`), appended to in the same
 * MULTI as the record change it reports, so a line exists exactly when the change does. Stream
 * ids are Redis's own clock in milliseconds, which is what date ranges select on and what
 * retention trims by (XTRIM MINID). Nothing ever rewrites a line.
 */
export class AuditLog {
  private readonly redis: Redis;
  readonly key: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.key = `${queuePrefix}:audit`;
  }

  /** Adds the XADD of an event to a MULTI (the caller's record change). */
  queue(m: ChainableCommander, e: AuditEvent): ChainableCommander {
    return m.xadd(this.key, '*', ...fields(e));
  }

  async append(e: AuditEvent): Promise<string> {
    return (await this.redis.xadd(this.key, '*', ...fields(e))) as string;
  }

  /**
   * Events from `fromMs` (inclusive) to `toMs` (exclusive), oldest first, read in batches so an
   * export of a year does not hold the year in memory.
   */
  async *range(fromMs: number, toMs: number, batch = 1000): AsyncGenerator<StoredAuditEvent> {
    if (!(toMs > fromMs)) return;
    let start = `${Math.max(0, Math.floor(fromMs))}-0`;
    const end = `${Math.ceil(toMs) - 1}`;
    for (;;) {
      const rows = await this.redis.xrange(this.key, start, end, 'COUNT', batch);
      for (const [seq, kv] of rows) yield { ...parse(kv), seq };
      if (rows.length < batch) return;
      start = `(${rows[rows.length - 1][0]}`;
    }
  }

  /** Drops lines older than `beforeMs` (the records' retention); returns how many went. */
  async trimBefore(beforeMs: number): Promise<number> {
    return Number(await this.redis.xtrim(this.key, 'MINID', `${Math.max(0, Math.floor(beforeMs))}-0`));
  }

  async length(): Promise<number> {
    return this.redis.xlen(this.key);
  }
}

function fields(e: AuditEvent): string[] {
  const out = ['at', e.at, 'subject', e.subject, 'id', e.id, 'event', e.event];
  if (e.recipient !== undefined) out.push('recipient', String(e.recipient));
  if (e.detail) out.push('detail', e.detail);
  if (e.actor) out.push('actor', e.actor);
  return out;
}

function parse(kv: string[]): AuditEvent {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < kv.length; i += 2) m.set(kv[i], kv[i + 1]);
  const recipient = m.get('recipient');
  return {
    at: m.get('at') ?? '',
    subject: (m.get('subject') ?? 'system') as AuditEvent['subject'],
    id: m.get('id') ?? '',
    event: m.get('event') ?? '',
    ...(recipient !== undefined ? { recipient: Number(recipient) } : {}),
    ...(m.has('detail') ? { detail: m.get('detail') } : {}),
    ...(m.has('actor') ? { actor: m.get('actor') } : {}),
  };
}
