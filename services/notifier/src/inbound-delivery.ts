import { Counter } from 'prom-client';
import { UnrecoverableError, isFinalAttempt, type Job, type JobData } from '@faxgate/queue';
import { previewPng, readTiff, tiffToPdf } from '@faxgate/fax-image';
import { MailRefusedError } from '@faxgate/mail';
import { type GuardedMailer } from './delivered-mails.ts';
import type { RoleContext } from '@faxgate/runtime';
import { type InboundRecords, type DeliveryRecord, type InboundRecord } from '@faxgate/store';
import { composeReceivedFaxMail } from './received-fax-mail.ts';

/**
 * inbound-mail: one delivery of a received fax. A failed send throws so BullMQ retries it with
 * backoff; when the last try fails, the fax goes to the unaddressed mailbox (a new delivery) and
 * the failure is logged and recorded: a received fax is never dropped. A delivery already sent
 * is not sent again when its job re-runs. A permanent refusal (the smarthost's 5xx) is not
 * retried: it counts as the last try at once.
 */
export function createInboundMailHandler(ctx: RoleContext, from: string, mailer: GuardedMailer) {
  const inbound = ctx.inbound;
  const mails = new Counter({ name: 'faxgate_inbound_mails_total', help: 'Tries to mail a received fax, by outcome: sent, retry (a try failed, another follows), failed (the last try failed)', labelNames: ['outcome'], registers: [ctx.registry] });
  return async ({ inboundId, delivery }: JobData<'inbound-mail'>, job: Job) => {
    const fax = await inbound.get(inboundId);
    const d = await inbound.getDelivery(inboundId, delivery);
    if (!fax || !d) throw new UnrecoverableError(`no record of received fax ${inboundId} delivery ${delivery}`);
    if (d.state === 'sent') return { skipped: 'already sent' };
    if (!fax.documentKey) throw new UnrecoverableError(`received fax ${inboundId} has no stored document`);
    const attempt = job.attemptsMade + 1;
    let fallbackReason: string | undefined;
    if (d.fallbackFor !== undefined) fallbackReason = (await inbound.getDelivery(inboundId, d.fallbackFor))?.error;
    try {
      const message = await buildMessage(ctx, fax, d, from, fallbackReason);
      const sent = await mailer.send(message);
      if (!sent.deliveredBefore) mails.inc({ outcome: 'sent' });
      await inbound.updateDelivery(inboundId, delivery, { state: 'sent', attempts: attempt, sentAt: new Date().toISOString(), messageId: sent.messageId });
      await inbound.event(inboundId, 'mail sent', `delivery ${delivery} to ${d.to.join(', ')} via ${sent.via}${sent.deliveredBefore ? ` at ${sent.deliveredBefore} (accepted before a restart; not sent again)` : ''}`);
      ctx.log.info({ inboundId, delivery, to: d.to, via: sent.via }, 'received fax delivered');
      await finishIfDone(inbound, inboundId);
      return { messageId: sent.messageId, via: sent.via };
    } catch (err) {
      const error = (err as Error).message;
      await inbound.updateDelivery(inboundId, delivery, { attempts: attempt, error });
      const refused = err instanceof MailRefusedError;
      const last = isFinalAttempt(job, err) || refused;
      mails.inc({ outcome: last ? 'failed' : 'retry' });
      if (last) await giveUp(ctx, inbound, fax, d, error, job.opts.attempts);
      throw refused ? new UnrecoverableError(error) : err;
    }
  };
}

async function buildMessage(ctx: RoleContext, fax: InboundRecord, d: DeliveryRecord, from: string, fallbackReason: string | undefined) {
  const tiff = await ctx.blobs.get(fax.documentKey!);
  let pdf: Uint8Array | undefined;
  let attachTiff = d.format !== 'pdf';
  if (d.format !== 'tiff') {
    try {
      pdf = tiffToPdf(tiff);
    } catch (err) {
      // The fax still reaches its owner: as the TIFF it was received as.
      ctx.log.warn({ inboundId: fax.id, err: (err as Error).message }, 'received TIFF could not be made into a PDF; attaching the TIFF');
      attachTiff = true;
    }
  }
  let preview: Buffer | undefined;
  try {
    const first = readTiff(tiff)[0];
    if (first) preview = previewPng(first.decode(), first.xDpi, first.yDpi).png;
  } catch (err) {
    ctx.log.warn({ inboundId: fax.id, err: (err as Error).message }, 'no preview of page 1');
  }
  return composeReceivedFaxMail({ fax, delivery: d, from, pdf, tiff: attachTiff ? tiff : undefined, preview, fallbackReason });
}

async function giveUp(ctx: RoleContext, inbound: InboundRecords, fax: InboundRecord, d: DeliveryRecord, error: string, attempts: number | undefined) {
  await inbound.updateDelivery(fax.id, d.index, { state: 'failed' });
  const fallbackTo = fax.fallbackTo ?? [];
  const alreadyUnaddressed = d.fallbackFor !== undefined || sameAddresses(d.to, fallbackTo);
  if (alreadyUnaddressed || fallbackTo.length === 0) {
    // Nowhere left to send it: the TIFF and the record stay, and the console shows both.
    ctx.log.error({ inboundId: fax.id, delivery: d.index, to: d.to, err: error }, 'received fax could not be mailed to anyone; it stays stored');
    await inbound.event(fax.id, 'delivery failed for good', `delivery ${d.index} to ${d.to.join(', ')}: ${error}; the fax stays stored as ${fax.documentKey}`);
    await finishIfDone(inbound, fax.id);
    return;
  }
  const index = await inbound.addFallbackDelivery(fax.id, d.index, (i) => ({ index: i, to: fallbackTo, format: d.format, state: 'pending', attempts: 0, fallbackFor: d.index }));
  ctx.log.error({ inboundId: fax.id, delivery: d.index, to: d.to, err: error, fallback: index }, 'received fax could not be mailed to its owner; sending it to the unaddressed mailbox');
  await inbound.event(fax.id, 'delivery failed', `delivery ${d.index} to ${d.to.join(', ')}: ${error}; sent to the unaddressed mailbox as delivery ${index}`);
  await ctx.queues.add('inbound-mail', { inboundId: fax.id, delivery: index }, attempts ? { attempts } : {});
}

/** Marks the fax delivered (or failed) once no delivery is pending. */
async function finishIfDone(inbound: InboundRecords, id: string): Promise<void> {
  const view = await inbound.view(id);
  if (!view || view.deliveries.some((x) => x.state === 'pending')) return;
  const sentFallback = new Set(view.deliveries.filter((x) => x.state === 'sent' && x.fallbackFor !== undefined).map((x) => x.fallbackFor));
  const lost = view.deliveries.some((x) => x.state === 'failed' && !sentFallback.has(x.index));
  await inbound.update(id, { state: lost ? 'failed' : 'delivered', finishedAt: new Date().toISOString() });
}

function sameAddresses(a: string[], b: string[]): boolean {
  const norm = (x: string[]) => [...new Set(x.map((s) => s.toLowerCase()))].sort().join(',');
  return norm(a) === norm(b);
}
