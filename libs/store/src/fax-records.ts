import type { ChainableCommander, Redis } from 'ioredis';
import { AuditLog } from '@faxgate/audit';
import type { AttemptRecord, FaxRecord, FaxView, RecipientRecord, TimelineEvent } from './fax-record.ts';
import { RECORD_SCHEMA_VERSION, execAll, queueRecordUpdate, readRecord, writeRecord } from './record-codec.ts';

/** A fax in one of these states has nothing more to do (no job reads its files again). */
const FINAL_FAX_STATES: ReadonlySet<FaxRecord['state']> = new Set(['done', 'failed', 'cancelled']);

/**
 * Fax records in Redis, next to the queues (the same Redis, so with AOF they survive any
 * restart). Each record is a hash with one JSON value per field, so concurrent workers updating
 * different fields or different recipients never overwrite each other.
 */
export class FaxRecords {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** Every timeline event is also an audit line, written in the same MULTI. */
  readonly audit: AuditLog;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:rec`;
    this.audit = new AuditLog(redis, queuePrefix);
  }

  private faxKey(id: string) {
    return `${this.prefix}:fax:${id}`;
  }
  private rcptKey(id: string, i: number) {
    return `${this.prefix}:fax:${id}:r:${i}`;
  }
  private attemptKey(id: string, i: number, n: number) {
    return `${this.prefix}:fax:${id}:r:${i}:a:${n}`;
  }
  /** Faxes not finished yet, by creation time: what the reconciler walks. */
  private get openKey() {
    return `${this.prefix}:open`;
  }
  private timelineKey(id: string) {
    return `${this.prefix}:fax:${id}:timeline`;
  }

  /** Creates the fax and its recipients in one transaction. */
  /**
   * `once` records, in the same MULTI, that a message was taken in under this key (ingest's
   * duplicate check, issue 17): the record and the key exist together or not at all. Resolves
   * with the fax id the key named already when another fax set it first (the caller withdraws
   * this one), else undefined.
   */
  async create(fax: FaxRecord, recipients: RecipientRecord[], once?: { key: string; ttlMs: number }): Promise<string | undefined> {
    const m = this.redis.multi();
    if (once) m.set(once.key, fax.id, 'PX', once.ttlMs, 'NX').get(once.key);
    queueRecordUpdate(m, this.faxKey(fax.id), { v: RECORD_SCHEMA_VERSION, ...fax });
    for (const r of recipients) queueRecordUpdate(m, this.rcptKey(fax.id, r.index), { v: RECORD_SCHEMA_VERSION, ...r });
    const detail = `${recipients.length} recipient(s)`;
    m.rpush(this.timelineKey(fax.id), JSON.stringify({ at: fax.createdAt, event: 'accepted', detail }));
    this.audit.queue(m, { at: fax.createdAt, subject: 'fax', id: fax.id, event: 'accepted', detail: `from ${fax.sender}${fax.authUser ? ` (user ${fax.authUser})` : ''}${fax.clientAddress ? ` [${fax.clientAddress}]` : ''}, ${detail}, ${fax.messageBytes} bytes` });
    m.zadd(`${this.prefix}:faxes`, Date.parse(fax.createdAt), fax.id);
    m.zadd(this.openKey, Date.parse(fax.createdAt), fax.id);
    const res = await m.exec();
    for (const [err] of res ?? []) if (err) throw err;
    const holder = once ? (res?.[1]?.[1] as string | null) : null;
    return holder && holder !== fax.id ? holder : undefined;
  }

  /** The fax a `once` key of create() names, if it is still there. */
  async takenInAs(onceKey: string): Promise<string | undefined> {
    return (await this.redis.get(onceKey)) ?? undefined;
  }

  /**
   * Removes a fax whose job could not be queued, so nothing half-written stays behind (with its
   * `once` key, when it set one); `detail` says why in the audit trail when it is not that.
   */
  async remove(id: string, recipientCount: number, opts: { onceKey?: string; detail?: string } = {}): Promise<void> {
    const keys = [this.faxKey(id), this.timelineKey(id)];
    for (let i = 0; i < recipientCount; i++) keys.push(this.rcptKey(id, i));
    if (opts.onceKey) keys.push(opts.onceKey);
    const m = this.redis.multi().del(...keys).zrem(`${this.prefix}:faxes`, id).zrem(this.openKey, id);
    this.audit.queue(m, { at: new Date().toISOString(), subject: 'fax', id, event: 'withdrawn', detail: opts.detail ?? 'its job could not be queued; the client was answered 451 and will send it again' });
    await m.exec();
  }

  async getFax(id: string): Promise<FaxRecord | undefined> {
    return readRecord<FaxRecord>(this.redis, this.faxKey(id));
  }

  async getRecipient(id: string, i: number): Promise<RecipientRecord | undefined> {
    return readRecord<RecipientRecord>(this.redis, this.rcptKey(id, i));
  }

  async getAttempt(id: string, i: number, n: number): Promise<AttemptRecord | undefined> {
    return readRecord<AttemptRecord>(this.redis, this.attemptKey(id, i, n));
  }

  /** Sets the fields given; a field given as `undefined` is removed from the record. */
  async updateFax(id: string, fields: Partial<FaxRecord>): Promise<void> {
    await writeRecord(this.redis, this.faxKey(id), fields);
  }

  /** Sets the fields given; a field given as `undefined` (a stale retry time) is removed. */
  async updateRecipient(id: string, i: number, fields: Partial<RecipientRecord>): Promise<void> {
    await writeRecord(this.redis, this.rcptKey(id, i), fields);
  }

  /** Adds to numeric recipient counters atomically and returns the new values. */
  async incrementRecipient(id: string, i: number, field: 'attempts' | 'connectedAttempts', by = 1): Promise<number> {
    // Counters are JSON numbers, so HINCRBY works on them directly.
    return this.redis.hincrby(this.rcptKey(id, i), field, by);
  }

  async updateAttempt(id: string, i: number, n: number, fields: Partial<AttemptRecord>): Promise<void> {
    await writeRecord(this.redis, this.attemptKey(id, i, n), fields);
  }

  /**
   * Claims the right to act on an attempt's outcome exactly once: true for the first caller,
   * false for any retry of the same step.
   */
  async claimAttemptHandling(id: string, i: number, n: number, at: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.attemptKey(id, i, n), 'handledAt', JSON.stringify(at))) === 1;
  }

  /** Marks a recipient finished (idempotent) and returns how many recipients of the fax are. */
  async markRecipientFinished(id: string, i: number): Promise<number> {
    const key = `${this.faxKey(id)}:finished`;
    const res = await this.redis.multi().sadd(key, String(i)).scard(key).exec();
    return Number(res?.[1]?.[1] ?? 0);
  }

  async event(id: string, event: string, detail?: string, recipient?: number): Promise<void> {
    await this.change().event(id, event, detail, recipient).exec();
  }

  /**
   * Several writes of one state change (a call starting: its attempt, its recipient, the
   * timeline) in one MULTI: they land together, in one round trip, where one awaited command
   * each made the call wait for every one in turn (issue 18).
   */
  change(): RecordChange {
    return new RecordChange(this.redis.multi(), {
      fax: (id) => this.faxKey(id),
      recipient: (id, i) => this.rcptKey(id, i),
      attempt: (id, i, n) => this.attemptKey(id, i, n),
      timeline: (id) => this.timelineKey(id),
      audit: (m, e) => this.audit.queue(m, e),
    });
  }

  /** The whole fax: record, recipients with their attempts, and the timeline. */
  async view(id: string): Promise<FaxView | undefined> {
    const fax = await this.getFax(id);
    if (!fax) return undefined;
    const recipients: FaxView['recipients'] = [];
    for (let i = 0; i < fax.recipientCount; i++) {
      const r = await this.getRecipient(id, i);
      if (!r) continue;
      const attemptsDetail: AttemptRecord[] = [];
      for (let n = 1; n <= r.attempts; n++) {
        const a = await this.getAttempt(id, i, n);
        if (a) attemptsDetail.push(a);
      }
      recipients.push({ ...r, attemptsDetail });
    }
    const timeline = (await this.redis.lrange(this.timelineKey(id), 0, -1)).map((s) => JSON.parse(s) as TimelineEvent);
    return { ...fax, recipients, timeline };
  }

  /** Faxes created before `before` (ms) that are not closed yet, oldest first. */
  async openFaxes(before: number, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(this.openKey, 0, before, 'LIMIT', 0, limit);
  }

  /** Puts a fax back on the open list (a failed step retried by an operator). */
  async reopenFax(id: string): Promise<void> {
    const fax = await this.getFax(id);
    if (fax) await this.redis.zadd(this.openKey, Date.parse(fax.createdAt), id);
  }

  /** Takes a finished fax off the open list (idempotent). */
  async closeFax(id: string): Promise<void> {
    await this.redis.zrem(this.openKey, id);
  }

  /** The most recent fax ids, newest first. */
  async recent(limit = 50): Promise<string[]> {
    return this.redis.zrevrange(`${this.prefix}:faxes`, 0, limit - 1);
  }

  /** Faxes created before `before` (ms), oldest first: what records retention walks. */
  async createdBefore(before: number, offset = 0, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}:faxes`, 0, `(${before}`, 'LIMIT', offset, limit);
  }

  /** Whether the fax is still on its way (on the open list, or not in a final state). */
  async inFlight(id: string, fax?: FaxRecord): Promise<boolean> {
    if ((await this.redis.zscore(this.openKey, id)) !== null) return true;
    const f = fax ?? (await this.getFax(id));
    return !!f && !FINAL_FAX_STATES.has(f.state);
  }

  /**
   * Deletes the fax's records (fax, recipients, attempts, timeline) in one MULTI with its
   * `purged` audit line: after a purge only the audit trail names the fax. The caller checks
   * that the fax is not in flight.
   */
  async purge(id: string, detail: string, actor: string): Promise<boolean> {
    const fax = await this.getFax(id);
    const keys = [this.faxKey(id), `${this.faxKey(id)}:finished`, this.timelineKey(id)];
    for (let i = 0; i < (fax?.recipientCount ?? 0); i++) {
      keys.push(this.rcptKey(id, i));
      const r = await this.getRecipient(id, i);
      // An attempt record can be one ahead of the counter (written, then the counter bumped).
      for (let n = 1; n <= (r?.attempts ?? 0) + 1; n++) keys.push(this.attemptKey(id, i, n));
    }
    const m = this.redis.multi().del(...keys).zrem(`${this.prefix}:faxes`, id).zrem(this.openKey, id);
    this.audit.queue(m, { at: new Date().toISOString(), subject: 'fax', id, event: 'purged', detail, actor });
    await execAll(m);
    return !!fax;
  }
}

interface ChangeKeys {
  fax(id: string): string;
  recipient(id: string, i: number): string;
  attempt(id: string, i: number, n: number): string;
  timeline(id: string): string;
  audit: AuditLog['queue'];
}

/** The writes of one state change, queued on a MULTI by FaxRecords.change(); nothing is written before exec(). */
export class RecordChange {
  private readonly m: ChainableCommander;
  private readonly keys: ChangeKeys;
  private writes = 0;

  constructor(m: ChainableCommander, keys: ChangeKeys) {
    this.m = m;
    this.keys = keys;
  }

  /** As FaxRecords.updateFax. */
  fax(id: string, fields: Partial<FaxRecord>): this {
    this.writes++;
    queueRecordUpdate(this.m, this.keys.fax(id), fields);
    return this;
  }

  /** As FaxRecords.updateRecipient. */
  recipient(id: string, i: number, fields: Partial<RecipientRecord>): this {
    this.writes++;
    queueRecordUpdate(this.m, this.keys.recipient(id, i), fields);
    return this;
  }

  /** As FaxRecords.updateAttempt. */
  attempt(id: string, i: number, n: number, fields: Partial<AttemptRecord>): this {
    this.writes++;
    queueRecordUpdate(this.m, this.keys.attempt(id, i, n), fields);
    return this;
  }

  /** As FaxRecords.event: the timeline entry and its audit line. */
  event(id: string, event: string, detail?: string, recipient?: number): this {
    const e: TimelineEvent = { at: new Date().toISOString(), event, ...(recipient !== undefined ? { recipient } : {}), ...(detail ? { detail } : {}) };
    this.writes++;
    this.m.rpush(this.keys.timeline(id), JSON.stringify(e));
    this.keys.audit(this.m, { ...e, subject: 'fax', id });
    return this;
  }

  /** Writes everything queued, atomically; throws the first error a command met. Nothing queued: no round trip. */
  async exec(): Promise<void> {
    if (this.writes === 0) return;
    await execAll(this.m);
  }
}
