import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AuditLog, type AuditEvent } from '@faxgate/audit';
import type { QueueSet } from '@faxgate/queue';
import type { FaxRecords, InboundRecords } from '@faxgate/store';
import { webhookEventOf } from './webhook-events.ts';
import type { Webhook, WebhookStore } from './webhook-store.ts';

/** The consumer group on the audit stream: each line is handled by one notifier process. */
export const WEBHOOK_GROUP = 'webhooks';
/** A line read by a process that died is taken over after this long. */
const CLAIM_IDLE_MS = 60_000;

export interface TailerDeps {
  /** A connection of its own: XREADGROUP blocks. */
  connection: Redis;
  queuePrefix: string;
  queues: QueueSet;
  store: WebhookStore;
  records: FaxRecords;
  inbound: InboundRecords;
  log: Logger;
}

/**
 * Turns audit lines into webhook-delivery jobs. The audit stream already holds every outcome,
 * written by the service that decided it in the same MULTI as the record change, so following
 * it (a Redis consumer group, read from where the group stood, each line acknowledged only once
 * its jobs are queued) loses no event across restarts and touches no other service. The group is
 * created at the stream's end: events from before the first start are not announced.
 */
export class WebhookTailer {
  private readonly d: TailerDeps;
  private readonly consumer = `${hostname()}-${process.pid}`;
  private running = false;
  private loop?: Promise<void>;
  private lastClaim = 0;
  private readonly key: string;

  constructor(d: TailerDeps) {
    this.d = d;
    this.key = new AuditLog(d.connection, d.queuePrefix).key;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    // XREADGROUP blocks up to 2 s; disconnecting ends it at once.
    this.d.connection.disconnect();
    await this.loop?.catch(() => {});
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.d.connection.xgroup('CREATE', this.key, WEBHOOK_GROUP, '$', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  private async run(): Promise<void> {
    let grouped = false;
    // After an error, our own pending lines (read, not acknowledged) are read again first.
    let from = '0';
    while (this.running) {
      try {
        if (!grouped) {
          await this.ensureGroup();
          grouped = true;
        }
        if (Date.now() - this.lastClaim > CLAIM_IDLE_MS) {
          this.lastClaim = Date.now();
          const claimed = (await this.d.connection.xautoclaim(this.key, WEBHOOK_GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', 100)) as [string, [string, string[]][]];
          for (const [seq, kv] of claimed[1] ?? []) if (kv) await this.handle(seq, kv);
        }
        const res = (await this.d.connection.xreadgroup('GROUP', WEBHOOK_GROUP, this.consumer, 'COUNT', 100, 'BLOCK', 2000, 'STREAMS', this.key, from)) as [string, [string, string[]][]][] | null;
        const rows = res?.[0]?.[1] ?? [];
        if (from === '0' && rows.length === 0) from = '>';
        for (const [seq, kv] of rows) await this.handle(seq, kv);
      } catch (err) {
        if (!this.running) return;
        this.d.log.warn({ err: (err as Error).message }, 'webhooks: reading the audit stream failed; retrying');
        grouped = false;
        from = '0';
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async handle(seq: string, kv: string[]): Promise<void> {
    const e = parseFields(kv);
    const type = webhookEventOf(e);
    if (type && (await this.d.store.count()) > 0) {
      const owner = e.subject === 'fax' ? (await this.d.records.getFax(e.id))?.authUser : (await this.d.inbound.get(e.id))?.route?.user;
      const hooks = (await this.d.store.list()).filter((w) => wants(w, type, owner));
      for (const w of hooks) {
        await this.d.queues.add('webhook-delivery', { webhookId: w.id, eventId: seq, event: type, at: e.at, subject: e.subject as 'fax' | 'inbound', id: e.id, ...(e.recipient !== undefined ? { recipient: e.recipient } : {}) });
      }
    }
    await this.d.connection.xack(this.key, WEBHOOK_GROUP, seq);
  }
}

/** Whether a webhook is told of an event on a fax owned by `owner` (the fax's user, a received fax's directory user). */
export function wants(w: Webhook, type: string, owner: string | undefined): boolean {
  if (!w.events.includes(type as Webhook['events'][number])) return false;
  return w.all || (owner !== undefined && owner === w.user);
}

function parseFields(kv: string[]): AuditEvent {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < kv.length; i += 2) m.set(kv[i], kv[i + 1]);
  const recipient = m.get('recipient');
  return { at: m.get('at') ?? '', subject: (m.get('subject') ?? 'system') as AuditEvent['subject'], id: m.get('id') ?? '', event: m.get('event') ?? '', ...(recipient !== undefined ? { recipient: Number(recipient) } : {}) };
}
