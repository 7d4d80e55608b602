import { join } from 'node:path';
import { createMailer } from '@faxgate/mail';
import { defineRole, workerLifecycle, redactUrl } from '@faxgate/runtime';
import { notifierSchema } from './config.ts';
import { createNotifyWorker } from './notify-worker.ts';
import { WebhookStore, WebhookTailer, createWebhookWorker } from '@faxgate/webhooks';

/** notifier: result mails and received faxes, through the smarthost or the outbox. */
export const notifierRole = defineRole({
  name: 'notifier',
  schema: notifierSchema,
  async build(ctx, config) {
    const outbox = join(ctx.blobs.root, 'outbox');
    const mailer = createMailer({ smarthost: config.FAXGATE_SMARTHOST, outboxDir: outbox });
    // Webhooks (issue 15): the audit stream's outcomes become signed HTTP posts.
    const webhooks = { store: new WebhookStore(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX), records: ctx.records, inbound: ctx.inbound, queuePrefix: ctx.base.FAXGATE_QUEUE_PREFIX };
    const tailer = new WebhookTailer({ ...webhooks, connection: ctx.workerConnection(), queues: ctx.queues, log: ctx.log });
    const webhookWorker = createWebhookWorker({ ...webhooks, connection: ctx.workerConnection(), allowPrivate: config.FAXGATE_WEBHOOK_ALLOW_PRIVATE });
    const life = workerLifecycle([createNotifyWorker(ctx, config, mailer), webhookWorker], ctx.log, ctx.metrics);
    return {
      ...life,
      async start() {
        await life.start();
        tailer.start();
      },
      async stop() {
        await tailer.stop();
        await life.stop();
        mailer.close();
      },
      describe: () => [`mail      ${config.FAXGATE_SMARTHOST ? `via ${redactUrl(config.FAXGATE_SMARTHOST)}` : `to ${outbox}/ (.eml files; set FAXGATE_SMARTHOST to send)`}`],
    };
  },
});
