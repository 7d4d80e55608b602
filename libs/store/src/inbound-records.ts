import type { Redis } from 'ioredis';
import { AuditLog } from '@faxgate/audit';
import type { DeliveryRecord, InboundRecord, InboundTimelineEvent, InboundView } from './inbound-record.ts';
import { RECORD_SCHEMA_VERSION, execAll, queueRecordUpdate, readRecord, writeRecord } from './record-codec.ts';

/**
 * Records of received faxes in Redis, beside the fax records and with the same layout: one hash
 * per record with a JSON value per field, so the node, the router and the notifier each update
 * their own fields without overwriting each other's.
 */
export class InboundRecords {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** Every timeline event is also an audit line, written in the same MULTI. */
  readonly audit: AuditLog;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:rec:in`;
    this.audit = new AuditLog(redis, queuePrefix);
  }

  private key(id: string) {
    return `${this.prefix}:${id}`;
  }
  private deliveryKey(id: string, i: number) {
    return `${this.prefix}:${id}:d:${i}`;
  }
  private timelineKey(id: string) {
    return `${this.prefix}:${id}:timeline`;
  }

  /** Creates the record unless it exists (a re-run of the step that creates it changes nothing). */
  async create(rec: InboundRecord, event = 'offered'): Promise<boolean> {
    const created = (await this.redis.hsetnx(this.key(rec.id), 'id', JSON.stringify(rec.id))) === 1;
    if (!created) return false;
    const m = this.redis.multi();
    queueRecordUpdate(m, this.key(rec.id), { v: RECORD_SCHEMA_VERSION, ...rec });
    const detail = `call from ${rec.callingNumber || 'unknown'} to ${rec.did || 'unknown'}`;
    m.rpush(this.timelineKey(rec.id), JSON.stringify({ at: rec.createdAt, event, detail }));
    this.audit.queue(m, { at: rec.createdAt, subject: 'inbound', id: rec.id, event, detail: `${detail} on pool ${rec.pool}` });
    m.zadd(`${this.prefix}:list`, Date.parse(rec.createdAt), rec.id);
    await execAll(m);
    return true;
  }

  async get(id: string): Promise<InboundRecord | undefined> {
    return readRecord<InboundRecord>(this.redis, this.key(id));
  }

  /** Sets the fields given; a field given as `undefined` is removed from the record. */
  async update(id: string, fields: Partial<InboundRecord>): Promise<void> {
    await writeRecord(this.redis, this.key(id), fields);
  }

  async getDelivery(id: string, i: number): Promise<DeliveryRecord | undefined> {
    return readRecord<DeliveryRecord>(this.redis, this.deliveryKey(id, i));
  }

  async updateDelivery(id: string, i: number, fields: Partial<DeliveryRecord>): Promise<void> {
    await writeRecord(this.redis, this.deliveryKey(id, i), fields);
  }

  /**
   * Stores the route and its deliveries once: the first caller wins and gets true; a re-run of
   * the routing job (after a crash between this and the enqueue) gets false and reuses them.
   */
  async setRoute(id: string, route: NonNullable<InboundRecord['route']>, deliveries: DeliveryRecord[], at: string): Promise<boolean> {
    const claimed = (await this.redis.hsetnx(this.key(id), 'routedAt', JSON.stringify(at))) === 1;
    if (!claimed) return false;
    const m = this.redis.multi();
    queueRecordUpdate(m, this.key(id), { route, state: 'routed', deliveryCount: deliveries.length });
    for (const d of deliveries) queueRecordUpdate(m, this.deliveryKey(id, d.index), d);
    await execAll(m);
    return true;
  }

  /**
   * Adds the unaddressed delivery that stands in for a delivery that failed for good; once per
   * failed delivery, however often the failing job's last try runs. Returns its index.
   */
  async addFallbackDelivery(id: string, failed: number, make: (index: number) => DeliveryRecord): Promise<number> {
    const claimKey = `${this.key(id)}:fallback`;
    const existing = await this.redis.hget(claimKey, String(failed));
    if (existing !== null) return Number(existing);
    const index = (await this.redis.hincrby(this.key(id), 'deliveryCount', 1)) - 1;
    const won = (await this.redis.hsetnx(claimKey, String(failed), String(index))) === 1;
    if (!won) return Number(await this.redis.hget(claimKey, String(failed)));
    await writeRecord(this.redis, this.deliveryKey(id, index), make(index));
    return index;
  }

  /** One more delivery of a received fax (an admin re-delivering it); returns its index. */
  async addDelivery(id: string, make: (index: number) => DeliveryRecord): Promise<number> {
    const index = (await this.redis.hincrby(this.key(id), 'deliveryCount', 1)) - 1;
    await writeRecord(this.redis, this.deliveryKey(id, index), make(index));
    return index;
  }

  async event(id: string, event: string, detail?: string): Promise<void> {
    const e: InboundTimelineEvent = { at: new Date().toISOString(), event, ...(detail ? { detail } : {}) };
    const m = this.redis.multi().rpush(this.timelineKey(id), JSON.stringify(e));
    this.audit.queue(m, { ...e, subject: 'inbound', id });
    await execAll(m);
  }

  /** The record with its deliveries and timeline (GET /api/v1/inbound/:id). */
  async view(id: string): Promise<InboundView | undefined> {
    const rec = await this.get(id);
    if (!rec) return undefined;
    const deliveries: DeliveryRecord[] = [];
    for (let i = 0; i < (rec.deliveryCount ?? 0); i++) {
      const d = await this.getDelivery(id, i);
      if (d) deliveries.push(d);
    }
    const timeline = (await this.redis.lrange(this.timelineKey(id), 0, -1)).map((s) => JSON.parse(s) as InboundTimelineEvent);
    return { ...rec, deliveries, timeline };
  }

  /** The most recent received faxes, newest first. */
  async recent(limit = 50): Promise<string[]> {
    return this.redis.zrevrange(`${this.prefix}:list`, 0, limit - 1);
  }

  /** Received faxes created before `before` (ms), oldest first: what records retention walks. */
  async createdBefore(before: number, offset = 0, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}:list`, 0, `(${before}`, 'LIMIT', offset, limit);
  }

  /** Still being received, routed or mailed: a final state is delivered or failed. */
  async inFlight(id: string, rec?: InboundRecord): Promise<boolean> {
    const r = rec ?? (await this.get(id));
    return !!r && r.state !== 'delivered' && r.state !== 'failed';
  }

  /** Deletes the received fax's records in one MULTI with its `purged` audit line. */
  async purge(id: string, detail: string, actor: string): Promise<boolean> {
    const rec = await this.get(id);
    const keys = [this.key(id), this.timelineKey(id), `${this.key(id)}:fallback`];
    for (let i = 0; i < (rec?.deliveryCount ?? 0); i++) keys.push(this.deliveryKey(id, i));
    const m = this.redis.multi().del(...keys).zrem(`${this.prefix}:list`, id);
    this.audit.queue(m, { at: new Date().toISOString(), subject: 'inbound', id, event: 'purged', detail, actor });
    await execAll(m);
    return !!rec;
  }
}
