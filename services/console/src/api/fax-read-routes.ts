import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { previewPng, readTiff, tiffToPdf } from '@faxgate/fax-image';
import type { BlobStore, FaxRecord, FaxRecords } from '@faxgate/store';
import { maySee, requireScope, type Principal } from './principal.ts';
import { digitsOf, pageOf } from './record-pages.ts';
import { routeSchemas } from './schemas.ts';

export interface ListFilters {
  number?: string;
  sender?: string;
  state?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface FaxReadDeps {
  redis: Redis;
  queuePrefix: string;
  records: FaxRecords;
  blobs: BlobStore;
}

/** The sorted set of every fax id by creation time (FaxRecords writes it at create). */
const faxIndexKey = (prefix: string) => `${prefix}:rec:faxes`;

/** GET /faxes (filters, cursor), /faxes/:id, /faxes/:id/document, /faxes/:id/pages/:n.png. */
export function registerFaxReadRoutes(app: FastifyInstance, deps: FaxReadDeps) {
  const { records } = deps;
  const readable = requireScope('read-own', 'read-all', 'send');

  /** The fax when this principal may see it; a fax of someone else is "not found" (its existence is not told). */
  const visibleFax = async (p: Principal | undefined, id: string): Promise<FaxRecord | undefined> => {
    const fax = await records.getFax(id);
    return fax && maySee(p, fax.authUser) ? fax : undefined;
  };

  app.get<{ Querystring: ListFilters }>('/api/v1/faxes', { schema: routeSchemas.list, preHandler: readable }, async (req, reply) => {
    const q = req.query;
    const range = timeRange(q);
    if (typeof range === 'string') return reply.code(400).send({ error: range });
    const p = req.principal;
    const wantDigits = q.number ? digitsOf(q.number) : undefined;
    const sender = q.sender?.toLowerCase();
    const page = await pageOf(deps.redis, faxIndexKey(deps.queuePrefix), { ...range, limit: q.limit ?? 50, cursor: q.cursor }, async (id) => {
      const fax = await records.getFax(id);
      if (!fax || !maySee(p, fax.authUser)) return undefined;
      if (q.state && fax.state !== q.state) return undefined;
      if (sender && ![fax.sender, fax.fromHeader, fax.authUser].some((s) => s?.toLowerCase().includes(sender))) return undefined;
      const numbers: string[] = [];
      for (let i = 0; i < fax.recipientCount; i++) {
        const r = await records.getRecipient(id, i);
        if (r) numbers.push(r.number);
      }
      // A number matches on its national or international digits (`2125550100` finds +12125550100).
      if (wantDigits && !numbers.some((n) => digitsOf(n).endsWith(wantDigits) || wantDigits.endsWith(digitsOf(n)))) return undefined;
      return { ...fax, numbers };
    });
    return { faxes: page.items, ...(page.next ? { next_cursor: page.next } : {}) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/faxes/:id', { schema: routeSchemas.view, preHandler: readable }, async (req, reply) => {
    if (!(await visibleFax(req.principal, req.params.id))) return notFound(reply, req.params.id);
    const view = await records.view(req.params.id);
    if (!view) return notFound(reply, req.params.id);
    return { ...view, numbers: view.recipients.map((r) => r.number) };
  });

  const renderedDocument = async (reply: FastifyReply, p: Principal | undefined, id: string, recipient: number): Promise<Buffer | undefined> => {
    const fax = await visibleFax(p, id);
    if (!fax) return void notFound(reply, id);
    if (recipient >= fax.recipientCount) return void reply.code(404).send({ error: `fax ${id} has no recipient ${recipient}` });
    const r = await records.getRecipient(id, recipient);
    if (!r?.documentKey || !(await deps.blobs.exists(r.documentKey))) {
      const why = fax.state === 'queued' || fax.state === 'rendering' ? 'is not rendered yet' : 'has no rendered document (it failed before rendering, or the document was purged)';
      return void reply.code(409).send({ error: `fax ${id} ${why}` });
    }
    return deps.blobs.get(r.documentKey);
  };

  app.get<{ Params: { id: string }; Querystring: { format?: 'pdf' | 'tiff'; recipient?: number } }>('/api/v1/faxes/:id/document', { schema: routeSchemas.document, preHandler: readable }, async (req, reply) => {
    const tiff = await renderedDocument(reply, req.principal, req.params.id, req.query.recipient ?? 0);
    if (!tiff) return reply;
    const name = `fax-${req.params.id}-r${req.query.recipient ?? 0}`;
    if (req.query.format === 'tiff') return reply.type('image/tiff').header('content-disposition', `attachment; filename="${name}.tif"`).send(tiff);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(Buffer.from(tiffToPdf(tiff)));
  });

  app.get<{ Params: { id: string; page: number }; Querystring: { recipient?: number; dpi?: number } }>('/api/v1/faxes/:id/pages/:page.png', { schema: routeSchemas.page, preHandler: readable }, async (req, reply) => {
    const tiff = await renderedDocument(reply, req.principal, req.params.id, req.query.recipient ?? 0);
    if (!tiff) return reply;
    return thumbnail(reply, tiff, req.params.page, req.query.dpi ?? 50, `fax ${req.params.id}`);
  });
}

/** Page `n` (from 1) of a TIFF as a PNG thumbnail; cached by the browser, as a page never changes. */
export function thumbnail(reply: FastifyReply, tiff: Buffer, n: number, dpi: number, what: string) {
  const pages = readTiff(tiff);
  const page = pages[n - 1];
  if (!page) return reply.code(404).send({ error: `${what} has ${pages.length} page(s), not ${n}` });
  const { png } = previewPng(page.decode(), page.xDpi, page.yDpi, dpi);
  return reply.type('image/png').header('cache-control', 'private, max-age=86400').header('x-page-count', String(pages.length)).send(png);
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no fax ${id}` });
}

/** from/to as milliseconds, or a sentence saying what is wrong. */
export function timeRange(q: { from?: string; to?: string }): { fromMs?: number; toMs?: number } | string {
  const fromMs = q.from === undefined ? undefined : Date.parse(q.from);
  const toMs = q.to === undefined ? undefined : Date.parse(q.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return 'from and to: ISO 8601 date-times';
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) return 'to must be after from';
  return { fromMs, toMs };
}

