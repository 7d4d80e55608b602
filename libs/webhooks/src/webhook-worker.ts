import { UnrecoverableError, createWorker, isFinalAttempt } from '@faxgate/queue';
import type { Redis } from 'ioredis';
import type { FaxRecords, InboundRecords } from '@faxgate/store';
import { deliverWebhook } from './webhook-delivery.ts';
import { webhookBody } from './webhook-payload.ts';
import type { WebhookStore } from './webhook-store.ts';

export interface WebhookWorkerDeps {
  connection: Redis;
  queuePrefix: string;
  store: WebhookStore;
  records: FaxRecords;
  inbound: InboundRecords;
  allowPrivate: boolean;
  concurrency?: number;
}

/**
 * Posts each event to its webhook. A 5xx, 408, 429, a timeout or a connection error is thrown,
 * so BullMQ tries again with exponential backoff; any other answer (4xx, a redirect, a target
 * that turned private) ends the delivery at once. Every try is a line in the fax's delivery log,
 * the last one with the error that made it give up.
 */
export function createWebhookWorker(d: WebhookWorkerDeps) {
  return createWorker(
    'webhooks',
    {
      'webhook-delivery': async (data, job) => {
        const hook = await d.store.get(data.webhookId);
        if (!hook) return { skipped: 'the webhook was deleted' };
        const body = await webhookBody(data, d.records, d.inbound);
        const res = await deliverWebhook({ url: hook.url, secret: hook.secret, body, event: data.event, eventId: `evt_${data.eventId}`, allowPrivate: d.allowPrivate });
        const attempt = job.attemptsMade + 1;
        const final = !res.ok && (!res.retry || isFinalAttempt(job));
        await d.store.log(data.id, {
          at: new Date().toISOString(),
          webhook: hook.id,
          url: hook.url,
          event: data.event,
          eventId: `evt_${data.eventId}`,
          attempt,
          outcome: res.ok ? 'delivered' : final ? 'failed' : 'retrying',
          ...(res.status !== undefined ? { status: res.status } : {}),
          ...(res.error ? { error: res.error } : {}),
          ms: res.ms,
        });
        if (res.ok) return { status: res.status, attempt };
        if (!res.retry) throw new UnrecoverableError(res.error ?? 'refused');
        throw new Error(res.error ?? 'delivery failed');
      },
    },
    { connection: d.connection, prefix: d.queuePrefix, concurrency: d.concurrency ?? 4 },
  );
}
