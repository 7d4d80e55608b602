import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { tiffToPdf } from '@faxgate/fax-image';
import { resolve } from 'node:path';
import type { BlobStore, DeliveryFormat, InboundRecord, InboundRecords } from '@faxgate/store';
import type { QueueSet } from '@faxgate/queue';
import { DirectoryEditor, DirectoryError } from '@faxgate/directory';
import { maySee, requireScope, type Principal } from './principal.ts';
import { digitsOf, pageOf } from './record-pages.ts';
import { routeSchemas } from './schemas.ts';
import { thumbnail, timeRange, type ListFilters } from './fax-read-routes.ts';

/** The sorted set of every received fax id by creation time (InboundRecords writes it). */
const inboundIndexKey = (prefix: string) => `${prefix}:rec:in:list`;

/**
 * GET /inbound (filters, cursor), /inbound/:id, /inbound/:id/document, /inbound/:id/pages/:n.png.
 * A received fax belongs to the directory user it was routed to: a read-own token sees those.
 */
export function registerInboundRoutes(app: FastifyInstance, deps: { redis: Redis; queuePrefix: string; inbound: InboundRecords; blobs: BlobStore }) {
  const { inbound } = deps;
  const readable = requireScope('read-own', 'read-all');
  const visible = async (p: Principal | undefined, id: string): Promise<InboundRecord | undefined> => {
    const rec = await inbound.get(id);
    return rec && maySee(p, rec.route?.user) ? rec : undefined;
  };
  const withThumbnails = (rec: InboundRecord) => ({
    ...rec,
    thumbnails: rec.documentKey && rec.pages > 0 ? Array.from({ length: rec.pages }, (_, i) => `/api/v1/inbound/${rec.id}/pages/${i + 1}.png`) : [],
  });

  app.get<{ Querystring: ListFilters }>('/api/v1/inbound', { schema: routeSchemas.inboundList, preHandler: readable }, async (req, reply) => {
    const q = req.query;
    const range = timeRange(q);
    if (typeof range === 'string') return reply.code(400).send({ error: range });
    const wantDigits = q.number ? digitsOf(q.number) : undefined;
    const sender = q.sender?.toLowerCase();
    const page = await pageOf(deps.redis, inboundIndexKey(deps.queuePrefix), { ...range, limit: q.limit ?? 50, cursor: q.cursor }, async (id) => {
      const rec = await inbound.get(id);
      if (!rec || !maySee(req.principal, rec.route?.user)) return undefined;
      if (q.state && rec.state !== q.state) return undefined;
      // For a received fax the "number" is the called DID and the "sender" the calling number or CSID.
      if (wantDigits && !digitsOf(rec.did).endsWith(wantDigits) && !wantDigits.endsWith(digitsOf(rec.did) || 'x')) return undefined;
      if (sender && ![rec.callingNumber, rec.csid].some((s) => s?.toLowerCase().includes(sender))) return undefined;
      return withThumbnails(rec);
    });
    return { faxes: page.items, ...(page.next ? { next_cursor: page.next } : {}) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/inbound/:id', { schema: routeSchemas.inboundView, preHandler: readable }, async (req, reply) => {
    const rec = await visible(req.principal, req.params.id);
    const view = rec && (await inbound.view(req.params.id));
    if (!rec || !view) return notFound(reply, req.params.id);
    return withThumbnails(view as InboundRecord);
  });

  const document = async (reply: FastifyReply, p: Principal | undefined, id: string): Promise<Buffer | undefined> => {
    const rec = await visible(p, id);
    if (!rec?.documentKey || !(await deps.blobs.exists(rec.documentKey))) return void reply.code(404).send({ error: `no stored document for ${id}` });
    return deps.blobs.get(rec.documentKey);
  };

  // The fax itself, for its owner or an admin (to look again, or when no mail could be delivered).
  app.get<{ Params: { id: string }; Querystring: { format?: 'pdf' | 'tiff' } }>('/api/v1/inbound/:id/document', { schema: routeSchemas.inboundDocument, preHandler: readable }, async (req, reply) => {
    const tiff = await document(reply, req.principal, req.params.id);
    if (!tiff) return reply;
    if (req.query.format === 'tiff') return reply.type('image/tiff').header('content-disposition', `attachment; filename="fax-${req.params.id}.tif"`).send(tiff);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="fax-${req.params.id}.pdf"`).send(Buffer.from(tiffToPdf(tiff)));
  });

  app.get<{ Params: { id: string; page: number }; Querystring: { dpi?: number } }>('/api/v1/inbound/:id/pages/:page.png', { schema: routeSchemas.inboundPage, preHandler: readable }, async (req, reply) => {
    const tiff = await document(reply, req.principal, req.params.id);
    if (!tiff) return reply;
    return thumbnail(reply, tiff, req.params.page, req.query.dpi ?? 50, `received fax ${req.params.id}`);
  });
}

/**
 * POST /inbound/:id/redeliver (admin): the received fax mailed again, as a new delivery — to
 * the addresses of its first delivery, to a directory user (routing it by hand), or to given
 * addresses. The notifier sends it like any delivery, with retries and the unaddressed
 * fallback.
 */
export function registerInboundRedeliverRoute(app: FastifyInstance, deps: { inbound: InboundRecords; queues: QueueSet; directoryPath: string }) {
  const editor = new DirectoryEditor(resolve(deps.directoryPath));
  app.post<{ Params: { id: string }; Body: { user?: string; to?: string[]; format?: DeliveryFormat } | undefined }>('/api/v1/inbound/:id/redeliver', { schema: routeSchemas.inboundRedeliver, preHandler: requireScope('admin') }, async (req, reply) => {
    const id = req.params.id;
    const view = await deps.inbound.view(id);
    if (!view) return notFound(reply, id);
    if (!view.documentKey) return reply.code(409).send({ error: `received fax ${id} has no stored document to deliver` });
    const body = req.body ?? {};
    let target: { user?: string; to: string[]; format: DeliveryFormat };
    if (body.user) {
      let users;
      try {
        users = (await editor.read()).directory.users;
      } catch (err) {
        if (err instanceof DirectoryError) return reply.code(409).send({ error: `the directory file is invalid: ${err.message}` });
        throw err;
      }
      const u = users.find((x) => x.id === body.user);
      if (!u) return reply.code(404).send({ error: `no user ${body.user} in the directory` });
      target = { user: u.id, to: u.emails, format: body.format ?? u.format };
    } else if (body.to?.length) {
      target = { to: body.to, format: body.format ?? 'pdf' };
    } else {
      const first = view.deliveries[0];
      if (!first) return reply.code(409).send({ error: `received fax ${id} was not routed yet: name a user or addresses` });
      target = { ...(first.user ? { user: first.user } : {}), to: first.to, format: body.format ?? first.format };
    }
    const delivery = await deps.inbound.addDelivery(id, (index) => ({ index, ...target, state: 'pending', attempts: 0 }));
    await deps.inbound.event(id, 'redelivery', `delivery ${delivery} to ${target.to.join(', ')} by ${req.principal?.user}`);
    await deps.queues.add('inbound-mail', { inboundId: id, delivery });
    return reply.code(202).send({ inboundId: id, delivery, ...target });
  });
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no received fax ${id}` });
}
