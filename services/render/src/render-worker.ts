import { Counter, Gauge } from 'prom-client';
import { UnrecoverableError, createWorker, isFinalAttempt, type Job } from '@faxgate/queue';
import { writeTiff } from '@faxgate/fax-image';
import { prepareFax, recipientPages, UnreadableMailError, type ComposeSettings, type RenderSandbox } from '@faxgate/render';
import { blobKeys } from '@faxgate/store';
import { FaxgateError, describeError } from '@faxgate/errors';
import { reopenFaxForRender, type RoleContext } from '@faxgate/runtime';
import type { RenderConfig } from './config.ts';
import { composeSettings } from './compose-settings.ts';

/**
 * Documents are laid out in sandbox processes, so this process's event loop stays free to renew
 * the lock (every half of it) however long a render takes; a render process that dies has its
 * job taken over within this plus the stalled check, not minutes later.
 */
const RENDER_LOCK_MS = 30_000;

/**
 * render-fax: one render per message, N transmissions. The documents are rendered once (in the
 * sandbox); each recipient gets its own cover page and header lines and its own TIFF, then one
 * dispatch job.
 */
export function createRenderWorker(ctx: RoleContext, config: RenderConfig, sandbox: RenderSandbox) {
  const base = composeSettings(config, sandbox, ctx.log);
  // Cover, header line and page limits are runtime settings (issue 20): each fax is composed
  // with the values of the moment; the rest (paper, resolution, the sandbox) is fixed at start.
  const settings = (): ComposeSettings => ({
    ...base,
    limits: { maxPages: config.FAXGATE_RENDER_MAX_PAGES, maxPixels: config.FAXGATE_RENDER_MAX_PIXELS },
    cover: config.FAXGATE_COVER_PAGE,
    coverKeyword: config.FAXGATE_COVER_KEYWORD,
    coverTemplates: config.FAXGATE_COVER_TEMPLATES,
    tagline: config.FAXGATE_TAGLINE,
    timeZone: config.FAXGATE_COVER_TIMEZONE,
    coverNotice: config.FAXGATE_COVER_NOTICE,
  });
  const pagesRendered = new Counter({ name: 'faxgate_render_pages_total', help: 'Document pages rendered (without cover pages), once per message', registers: [ctx.registry] });
  const notFaxed = new Counter({ name: 'faxgate_render_notices_total', help: 'Parts of messages that could not be faxed (each got a notice page and a sentence in the result mail)', registers: [ctx.registry] });
  new Gauge({
    name: 'faxgate_render_sandbox_started',
    help: 'Render sandbox processes started by this process; more than the concurrency means documents were killed at a limit',
    registers: [ctx.registry],
    collect() {
      this.set(sandbox.started);
    },
  });
  return createWorker(
    'render',
    {
      'render-fax': async ({ faxId }, job: Job) => {
        let fax = await ctx.records.getFax(faxId);
        if (!fax) throw new UnrecoverableError(describeError('RECORD_MISSING'));
        // Only an operator's Retry in Bull Board runs this job again after it failed for good.
        if (fax.state === 'failed' && (await reopenFaxForRender(ctx, faxId, `render job ${job.id} retried`))) fax = (await ctx.records.getFax(faxId))!;
        if (fax.state === 'queued' || fax.state === 'rendering') {
          try {
            await renderFax(faxId);
          } catch (err) {
            const final = isFinalAttempt(job, err);
            if (final) await failFax(faxId, err as Error);
            throw err;
          }
        }
        // Reached again after a crash between rendering and queueing: the ids make this a no-op
        // for jobs already queued.
        const current = await ctx.records.getFax(faxId);
        if (current?.state !== 'rendered') return;
        await ctx.queues.addBulk(Array.from({ length: current.recipientCount }, (_, recipient) => ({ name: 'schedule-recipient' as const, data: { faxId, recipient } })));
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, concurrency: config.FAXGATE_RENDER_CONCURRENCY, lockDuration: RENDER_LOCK_MS },
  );

  async function renderFax(faxId: string) {
    // One fax, one set of settings, even if they change while it renders.
    const current = settings();
    const fax = (await ctx.records.getFax(faxId))!;
    await ctx.records.updateFax(faxId, { state: 'rendering' });
    const raw = await ctx.blobs.get(fax.messageKey);
    const renderStarted = performance.now();
    const prep = await prepareFax(raw, { faxId, sender: fax.sender, subject: fax.subject, date: new Date(fax.createdAt) }, current).catch((err: unknown) => {
      // The same bytes are refused the same way on every try.
      throw err instanceof UnreadableMailError ? new UnrecoverableError(err.message) : err;
    });
    const documentPages = prep.documents.pages.length;
    pagesRendered.inc(documentPages);
    const perPage = (performance.now() - renderStarted) / 1000 / Math.max(1, documentPages);
    for (let p = 0; p < documentPages; p++) ctx.metrics.renderPageSeconds.observe(perPage);
    notFaxed.inc(prep.documents.notices.length);
    if (prep.cover.skip && documentPages === 0) throw new UnrecoverableError(describeError('RENDER_NO_CONTENT'));
    for (let i = 0; i < fax.recipientCount; i++) {
      const r = await ctx.records.getRecipient(faxId, i);
      if (!r) continue;
      const pages = await recipientPages(prep, { name: r.name, number: r.number }, current);
      const key = blobKeys.recipientDocument(faxId, i);
      await ctx.blobs.put(key, writeTiff(pages, { compression: 'mmr' }));
      await ctx.records.updateRecipient(faxId, i, { documentKey: key, pagesTotal: pages.length });
    }
    await ctx.records.updateFax(faxId, { state: 'rendered', documentPages, notices: prep.notices, renderedAt: new Date().toISOString() });
    await ctx.records.event(faxId, 'rendered', `${documentPages} document page(s)${prep.documents.notices.length ? `; ${prep.documents.notices.length} attachment(s) not faxed` : ''}`);
    ctx.log.info({ faxId, pages: documentPages, notices: prep.notices.length }, 'rendered');
  }

  /** A message that cannot be rendered fails every recipient, and each sender gets a failure mail. */
  async function failFax(faxId: string, err: Error) {
    const text = err instanceof FaxgateError ? err.message : `${describeError('RENDER_FAILED')}: ${err.message}`;
    const fax = await ctx.records.getFax(faxId);
    if (!fax) return;
    await ctx.records.updateFax(faxId, { state: 'failed', error: { code: 'RENDER_FAILED', text }, finishedAt: new Date().toISOString() });
    for (let i = 0; i < fax.recipientCount; i++) {
      await ctx.records.updateRecipient(faxId, i, { state: 'failed', errorCode: 'RENDER_FAILED', reason: text, finishedAt: new Date().toISOString() });
      await ctx.queues.add('result-mail', { faxId, recipient: i });
    }
    await ctx.records.event(faxId, 'render-failed', text);
  }
}
