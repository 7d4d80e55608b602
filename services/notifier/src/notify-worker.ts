import { UnrecoverableError, createWorker, isFinalAttempt } from '@faxgate/queue';
import { tiffToPdf } from '@faxgate/fax-image';
import { describeError } from '@faxgate/errors';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { UsageLedger, senderDomain } from '@faxgate/quotas';
import { MailRefusedError, type MailMessage, type Mailer } from '@faxgate/mail';
import type { FaxView } from '@faxgate/store';
import type { RoleContext } from '@faxgate/runtime';
import type { NotifierConfig } from './config.ts';
import { composeResultMail } from './result-mail.ts';
import { resultMailContent } from './result-mail-policy.ts';
import { allEnded, composeSummaryMail, summaryKey } from './summary-mail.ts';
import { composeDelayNotice } from './delay-notice.ts';
import { wantsDelayNotice, wantsOutcomeMail } from './notify-wants.ts';
import { isEnded } from './dsn-status.ts';
import type { DeliveryReport } from './delivery-report.ts';
import { createInboundMailHandler } from './inbound-delivery.ts';
import { createPostmasterForwarder } from './postmaster-forward.ts';
import { allRecipients, recipientView } from './recipient-view.ts';
import { BroadcastEnd } from './broadcast-end.ts';
import { DeliveredMails, retentionMs, type GuardedSent } from './delivered-mails.ts';

/** How a mail went, for the timeline: a mail the guard did not send again says when it went. */
function via(sent: GuardedSent): string {
  return sent.deliveredBefore ? `${sent.via} at ${sent.deliveredBefore} (accepted before a restart; not sent again)` : sent.via;
}

/** Where the header section of a message ends (the empty line), or its length when it has none. */
function headerEnd(message: Buffer): number {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n >= 0);
  return ends.length ? Math.min(...ends) : message.length;
}

/**
 * result-mail: one mail per recipient to the sender. A failed delivery throws, so BullMQ retries
 * it with backoff; a mail already delivered is not sent again when the job re-runs. A mail the
 * smarthost refuses for good (5xx) is recorded on the recipient and the timeline and not retried.
 */
export function createNotifyWorker(ctx: RoleContext, config: NotifierConfig, mailer: Mailer) {
  const from = config.FAXGATE_MAIL_FROM ?? `"faxgate" <faxgate@${config.FAXGATE_FAX_DOMAINS[0] ?? 'localhost'}>`;
  // Issue 17: every mail kind goes through the one record of deliveries, so a job run again
  // after a crash past the smarthost's 250 does not send its mail twice.
  const delivered = new DeliveredMails(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, retentionMs(ctx.base.FAXGATE_JOB_BACKOFF)).guard(mailer, ctx.log);
  const inboundMail = createInboundMailHandler(ctx, from, delivered);
  // Runtime settings (issue 20): the trust policy of the moment for each mail.
  const policy = () => ({ trustedDomains: config.FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS, unverified: config.FAXGATE_RESULT_MAIL_UNVERIFIED });
  const reportingMta = config.FAXGATE_REPORTING_MTA ?? hostname();

  const broadcastEnd = new BroadcastEnd(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const ledger = new UsageLedger(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX);
  const usagePages = new Counter({ name: 'faxgate_usage_pages_total', help: 'Pages the far end confirmed, by sender domain (counted once per recipient outcome; per-sender totals: faxgate usage)', labelNames: ['domain'], registers: [ctx.registry] });
  const usageLine = new Counter({ name: 'faxgate_usage_line_seconds_total', help: 'Time on the line over all calls of a recipient, by sender domain', labelNames: ['domain'], registers: [ctx.registry] });
  /** Accounting of one ended recipient (pages confirmed, line time) per sender and domain. */
  const countUsage = async (fax: FaxView, r: FaxView['recipients'][number]) => {
    const counted = await ledger.record({ sender: fax.sender, pages: r.pagesSent, lineMs: r.durationMs, at: Date.parse(r.finishedAt ?? '') || Date.now(), key: `${fax.id}-r${r.index}-a${r.attempts}` });
    if (!counted) return;
    const domain = senderDomain(fax.sender) || '(null sender)';
    usagePages.inc({ domain }, r.pagesSent);
    usageLine.inc({ domain }, r.durationMs / 1000);
  };

  /** Sends a report; a permanent refusal is recorded and ends the job without retries. */
  const send = async (mail: MailMessage, faxId: string, recipient?: number): Promise<GuardedSent> => {
    try {
      const sent = await delivered.send(mail);
      if (!sent.deliveredBefore) ctx.metrics.resultMails.inc({ outcome: 'sent' });
      return sent;
    } catch (err) {
      ctx.metrics.resultMails.inc({ outcome: err instanceof MailRefusedError ? 'refused' : 'error' });
      if (!(err instanceof MailRefusedError)) throw err;
      const fax = await ctx.records.getFax(faxId);
      if (recipient !== undefined) await ctx.records.updateRecipient(faxId, recipient, { resultMailError: err.message });
      await ctx.records.event(faxId, 'result mail refused', `to ${fax?.sender}: ${err.message}`, recipient);
      ctx.log.warn({ faxId, recipient, sender: fax?.sender, err: err.message }, 'result mail refused by the smarthost; not retried');
      throw new UnrecoverableError(`${describeError('MAIL_REJECTED')}: ${err.message}`);
    }
  };

  /** RFC 3461 §4.3: RET=FULL returns the whole message, RET=HDRS its header section only. */
  const returnedContent = async (fax: FaxView): Promise<DeliveryReport['returned']> => {
    const ret = fax.dsn?.ret;
    if (!ret || !(await ctx.blobs.exists(fax.messageKey))) return undefined;
    const message = Buffer.from(await ctx.blobs.get(fax.messageKey));
    if (ret === 'FULL') return { kind: 'full', content: message };
    const end = headerEnd(message);
    return { kind: 'headers', content: message.subarray(0, end) };
  };
  return createWorker(
    'notify',
    {
      'inbound-mail': inboundMail,
      'postmaster-mail': createPostmasterForwarder(ctx, from, config.FAXGATE_POSTMASTER, delivered),
      'result-mail': async ({ faxId, recipient }) => {
        // This recipient only: a broadcast's mails must not each read the whole broadcast.
        const fax = await recipientView(ctx.records, faxId, recipient);
        if (!fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        const r = fax.recipients[0];
        if (!r) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        // Every ended recipient passes here once per outcome: the one place to count it.
        if (isEnded(r.state)) await countUsage(fax, r);
        if (r.resultMailSentAt) return { skipped: 'already sent' };
        // A broadcast is reported once, when its last recipient ends (FAXGATE_NOTIFY_BROADCAST).
        // Only a job that may be the last (every recipient's outcome seen) reads all recipients.
        const broadcast = fax.recipientCount >= 2 && config.FAXGATE_NOTIFY_BROADCAST !== 'each';
        if (broadcast && isEnded(r.state)) {
          const readAll = () => allRecipients(ctx.records, faxId, fax.recipientCount);
          const mark = await broadcastEnd.seen(faxId, recipient, r.attempts, async () => (await readAll()).recipients.filter((x) => isEnded(x.state)).map((x) => ({ index: x.index, attempts: x.attempts })));
          // Read afresh after the count reached every recipient: a backfill's read may predate
          // the end of a recipient whose own job counted it meanwhile.
          const all = mark.isNew && mark.seen >= fax.recipientCount ? await readAll() : undefined;
          if (all && allEnded(all)) {
            const key = summaryKey(all);
            if (fax.summaryMailKey !== key) await ctx.queues.add('summary-mail', { faxId, key });
          }
          if (mark.isNew) await broadcastEnd.checked(faxId, recipient, r.attempts);
        }
        if (broadcast && config.FAXGATE_NOTIFY_BROADCAST === 'summary') {
          await ctx.records.updateRecipient(faxId, recipient, { resultMailSentAt: new Date().toISOString(), reportedInSummary: true });
          return { skipped: 'reported in the broadcast summary' };
        }
        if (!wantsOutcomeMail(r, config.FAXGATE_RESULT_MAIL_ON_SUCCESS)) {
          const why = r.notify?.length ? `the sender asked for NOTIFY=${r.notify.join(',')}` : 'success mails are off';
          await ctx.records.event(faxId, 'no result mail', why, recipient);
          return { skipped: why };
        }
        if (!fax.sender) return { skipped: 'null sender' };
        const { content, why } = resultMailContent(fax, policy());
        if (content === 'none') {
          await ctx.records.event(faxId, 'no result mail', why, recipient);
          return { skipped: why };
        }
        let pdf: Uint8Array | undefined;
        if (content === 'full' && config.FAXGATE_RESULT_ATTACH_PDF && r.documentKey && (await ctx.blobs.exists(r.documentKey))) {
          pdf = tiffToPdf(await ctx.blobs.get(r.documentKey));
        }
        const mail = await composeResultMail({ fax, recipient, from, pdf, plain: content === 'notice', reportingMta, returned: content === 'full' ? await returnedContent(fax) : undefined });
        const sent = await send(mail, faxId, recipient);
        await ctx.records.updateRecipient(faxId, recipient, { resultMailSentAt: new Date().toISOString() });
        await ctx.records.event(faxId, 'result mail sent', `to ${fax.sender} via ${via(sent)}${content === 'notice' ? ` (plain notice: ${why})` : ''}`, recipient);
        return { messageId: mail.messageId, via: sent.via, ...(sent.deliveredBefore ? { deliveredBefore: sent.deliveredBefore } : {}) };
      },
      'summary-mail': async ({ faxId, key }) => {
        const fax = await ctx.records.view(faxId);
        if (!fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        if (fax.summaryMailKey === key) return { skipped: 'already sent' };
        if (summaryKey(fax) !== key || !allEnded(fax)) return { skipped: 'the broadcast has moved on since (a recipient was opened again)' };
        const reported = fax.recipients.filter((r) => wantsOutcomeMail(r, config.FAXGATE_RESULT_MAIL_ON_SUCCESS)).map((r) => r.index);
        const { content, why } = resultMailContent(fax, policy());
        const skip = !fax.sender ? 'null sender' : content === 'none' ? why : reported.length === 0 ? 'no recipient asked for a report (NOTIFY, or success mails off)' : undefined;
        if (skip) {
          await ctx.records.event(faxId, 'no summary mail', skip);
          return { skipped: skip };
        }
        const first = fax.recipients.find((r) => r.state === 'sent' && r.documentKey);
        let pdf: { filename: string; content: Buffer } | undefined;
        if (content === 'full' && config.FAXGATE_RESULT_ATTACH_PDF && first?.documentKey && (await ctx.blobs.exists(first.documentKey))) {
          pdf = { filename: `fax-${fax.id}.pdf`, content: Buffer.from(tiffToPdf(await ctx.blobs.get(first.documentKey))) };
        }
        const mail = await composeSummaryMail({ fax, reported, from, key, plain: content === 'notice', reportingMta, pdf, returned: content === 'full' ? await returnedContent(fax) : undefined });
        const sent = await send(mail, faxId);
        await ctx.records.updateFax(faxId, { summaryMailKey: key, summaryMailSentAt: new Date().toISOString() });
        await ctx.records.event(faxId, 'summary mail sent', `to ${fax.sender} via ${via(sent)}: ${reported.length} of ${fax.recipients.length} recipients reported${content === 'notice' ? ` (plain notice: ${why})` : ''}`);
        return { messageId: mail.messageId, via: sent.via, ...(sent.deliveredBefore ? { deliveredBefore: sent.deliveredBefore } : {}) };
      },
      'delay-notice': async ({ faxId }) => {
        const fax = await ctx.records.view(faxId);
        if (!fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        if (fax.delayNoticeSentAt) return { skipped: 'already sent' };
        const delayed = fax.recipients.filter((r) => !isEnded(r.state) && wantsDelayNotice(r)).map((r) => r.index);
        if (delayed.length === 0) return { skipped: 'nothing delayed that asked for NOTIFY=DELAY' };
        const { content, why } = resultMailContent(fax, policy());
        if (!fax.sender || content === 'none') return { skipped: fax.sender ? why : 'null sender' };
        const afterMs = Date.now() - Date.parse(fax.createdAt);
        const mail = await composeDelayNotice({ fax, delayed, from, plain: content === 'notice', reportingMta, afterMs });
        const sent = await send(mail, faxId);
        await ctx.records.updateFax(faxId, { delayNoticeSentAt: new Date().toISOString() });
        await ctx.records.event(faxId, 'delay notice sent', `to ${fax.sender} via ${via(sent)}: ${delayed.length} recipient(s) still waiting`);
        return { messageId: mail.messageId, via: sent.via, ...(sent.deliveredBefore ? { deliveredBefore: sent.deliveredBefore } : {}) };
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, concurrency: config.FAXGATE_NOTIFY_CONCURRENCY },
  );
}
