import { UnrecoverableError, createWorker } from '@faxgate/queue';
import { tiffToPdf } from '@faxgate/fax-image';
import { describeError } from '@faxgate/errors';
import { MailRefusedError, type Mailer } from '@faxgate/mail';
import type { RoleContext } from '@faxgate/runtime';
import type { NotifierConfig } from './config.ts';
import { composeResultMail } from './result-mail.ts';
import { resultMailContent } from './result-mail-policy.ts';
import { createInboundMailHandler } from './inbound-delivery.ts';
import { createPostmasterForwarder } from './postmaster-forward.ts';

/**
 * result-mail: one mail per recipient to the sender. A failed delivery throws, so BullMQ retries
 * it with backoff; a mail already delivered is not sent again when the job re-runs. A mail the
 * smarthost refuses for good (5xx) is recorded on the recipient and the timeline and not retried.
 */
export function createNotifyWorker(ctx: RoleContext, config: NotifierConfig, mailer: Mailer) {
  const from = config.FAXGATE_MAIL_FROM ?? `"faxgate" <faxgate@${config.FAXGATE_FAX_DOMAINS[0] ?? 'localhost'}>`;
  const inboundMail = createInboundMailHandler(ctx, from, mailer);
  return createWorker(
    'notify',
    {
      'inbound-mail': inboundMail,
      'postmaster-mail': createPostmasterForwarder(ctx, from, config.FAXGATE_POSTMASTER, mailer),
      'result-mail': async ({ faxId, recipient }) => {
        const fax = await ctx.records.view(faxId);
        if (!fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        const r = fax.recipients.find((x) => x.index === recipient);
        if (!r) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        if (r.resultMailSentAt) return { skipped: 'already sent' };
        if (r.state === 'sent' && !config.FAXGATE_RESULT_MAIL_ON_SUCCESS) return { skipped: 'success mails are off' };
        if (!fax.sender) return { skipped: 'null sender' };
        const { content, why } = resultMailContent(fax, { trustedDomains: config.FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS, unverified: config.FAXGATE_RESULT_MAIL_UNVERIFIED });
        if (content === 'none') {
          await ctx.records.event(faxId, 'no result mail', why, recipient);
          return { skipped: why };
        }
        let pdf: Uint8Array | undefined;
        if (content === 'full' && config.FAXGATE_RESULT_ATTACH_PDF && r.documentKey && (await ctx.blobs.exists(r.documentKey))) {
          pdf = tiffToPdf(await ctx.blobs.get(r.documentKey));
        }
        let sent;
        try {
          sent = await mailer.send(composeResultMail({ fax, recipient, from, pdf, plain: content === 'notice' }));
        } catch (err) {
          if (!(err instanceof MailRefusedError)) throw err;
          await ctx.records.updateRecipient(faxId, recipient, { resultMailError: err.message });
          await ctx.records.event(faxId, 'result mail refused', `to ${fax.sender}: ${err.message}`, recipient);
          ctx.log.warn({ faxId, recipient, sender: fax.sender, err: err.message }, 'result mail refused by the smarthost; not retried');
          throw new UnrecoverableError(`${describeError('MAIL_REJECTED')}: ${err.message}`);
        }
        await ctx.records.updateRecipient(faxId, recipient, { resultMailSentAt: new Date().toISOString() });
        await ctx.records.event(faxId, 'result mail sent', `to ${fax.sender} via ${sent.via}${content === 'notice' ? ` (plain notice: ${why})` : ''}`, recipient);
        return { messageId: sent.messageId, via: sent.via };
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, concurrency: config.FAXGATE_NOTIFY_CONCURRENCY },
  );
}
