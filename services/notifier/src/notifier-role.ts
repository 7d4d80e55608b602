import { join } from 'node:path';
import { createMailer } from '@faxgate/mail';
import { defineRole, workerLifecycle, redactUrl } from '@faxgate/runtime';
import { notifierSchema } from './config.ts';
import { createNotifyWorker } from './notify-worker.ts';

/** notifier: result mails and received faxes, through the smarthost or the outbox. */
export const notifierRole = defineRole({
  name: 'notifier',
  schema: notifierSchema,
  async build(ctx, config) {
    const outbox = join(ctx.blobs.root, 'outbox');
    const mailer = createMailer({ smarthost: config.FAXGATE_SMARTHOST, outboxDir: outbox });
    const life = workerLifecycle([createNotifyWorker(ctx, config, mailer)], ctx.log, ctx.metrics);
    return {
      ...life,
      async stop() {
        await life.stop();
        mailer.close();
      },
      describe: () => [`mail      ${config.FAXGATE_SMARTHOST ? `via ${redactUrl(config.FAXGATE_SMARTHOST)}` : `to ${outbox}/ (.eml files; set FAXGATE_SMARTHOST to send)`}`],
    };
  },
});
