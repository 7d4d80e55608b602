import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readTiff, tiffToPdf } from '@faxgate/fax-image';
import { newInboundId } from '@faxgate/queue';
import type { RoleContext } from '@faxgate/runtime';
import { inboundBlobKeys } from '@faxgate/store';
import { DirectoryEditError, DirectoryEditor } from './directory-editor.ts';
import { DirectoryError } from './directory-parse.ts';

/**
 * The console's API for received faxes: their records, the directory (users, routes, the
 * unaddressed mailbox) and simulated incoming calls. The console registers it inside its
 * authenticated scope; edits go to the directory file, which every inbound process reloads.
 */
export async function registerInboundApi(app: FastifyInstance, ctx: RoleContext, opts: { directoryPath: string }) {
  // Inside HTTP requests: the fail-fast connection, so a Redis outage is a quick 5xx, not a hang.
  const inbound = ctx.requestInbound;
  const editor = new DirectoryEditor(resolve(opts.directoryPath));

  app.get<{ Params: { id: string } }>('/api/v1/inbound/:id', async (req, reply) => {
    if (!/^in[0-9a-z]{10,40}$/.test(req.params.id)) return reply.code(400).send({ error: `"${req.params.id}" is not a received fax id` });
    const view = await inbound.view(req.params.id);
    if (!view) return reply.code(404).send({ error: `no received fax ${req.params.id}` });
    return view;
  });
  // The fax itself, for an admin when no mail could be delivered (or to look again).
  app.get<{ Params: { id: string }; Querystring: { format?: string } }>('/api/v1/inbound/:id/document', async (req, reply) => {
    if (!/^in[0-9a-z]{10,40}$/.test(req.params.id)) return reply.code(400).send({ error: `"${req.params.id}" is not a received fax id` });
    const rec = await inbound.get(req.params.id);
    if (!rec?.documentKey || !(await ctx.blobs.exists(rec.documentKey))) return reply.code(404).send({ error: `no stored document for ${req.params.id}` });
    const tiff = await ctx.blobs.get(rec.documentKey);
    if (req.query.format === 'tiff') return reply.type('image/tiff').header('content-disposition', `attachment; filename="fax-${rec.id}.tif"`).send(tiff);
    if (req.query.format !== undefined && req.query.format !== 'pdf') return reply.code(400).send({ error: 'format: pdf or tiff' });
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="fax-${rec.id}.pdf"`).send(Buffer.from(tiffToPdf(tiff)));
  });
  app.get<{ Querystring: { limit?: string } }>('/api/v1/inbound', async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 500);
    const ids = await inbound.recent(limit);
    return { faxes: (await Promise.all(ids.map((id) => inbound.get(id)))).filter(Boolean) };
  });

  const edited = async (reply: FastifyReply, code: number, edit: () => Promise<string>) => {
    try {
      const version = await edit();
      return reply.code(code).send({ ok: true, version });
    } catch (err) {
      if (err instanceof DirectoryEditError) return reply.code(err.status).send({ error: err.message, issues: err.issues });
      throw err;
    }
  };
  const readDirectory = async (reply: FastifyReply) => {
    try {
      return await editor.read();
    } catch (err) {
      if (err instanceof DirectoryError) {
        reply.code(409).send({ error: `the directory file is invalid: ${err.message}`, issues: err.issues });
        return undefined;
      }
      throw err;
    }
  };

  app.get('/api/v1/directory', async (_req, reply) => {
    const r = await readDirectory(reply);
    return r && { path: editor.path, ...r };
  });
  app.put<{ Body: { unaddressed?: unknown } }>('/api/v1/directory/unaddressed', async (req, reply) => {
    const v = req.body?.unaddressed;
    const emails = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : [];
    if (emails.length === 0) return reply.code(400).send({ error: 'unaddressed: an e-mail address or a list of them' });
    return edited(reply, 200, () => editor.setUnaddressed(emails));
  });

  app.get('/api/v1/users', async (_req, reply) => {
    const r = await readDirectory(reply);
    return r && { users: r.directory.users, version: r.version };
  });
  app.post('/api/v1/users', async (req, reply) => edited(reply, 201, () => editor.addUser(req.body, false)));
  app.put<{ Params: { id: string } }>('/api/v1/users/:id', async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (body && body.id !== undefined && body.id !== req.params.id) return reply.code(400).send({ error: `the body's id "${String(body.id)}" differs from the URL's "${req.params.id}"` });
    return edited(reply, 200, () => editor.addUser({ ...body, id: req.params.id }, true));
  });
  app.delete<{ Params: { id: string } }>('/api/v1/users/:id', async (req, reply) => edited(reply, 200, () => editor.removeUser(req.params.id)));

  app.get('/api/v1/routes', async (_req, reply) => {
    const r = await readDirectory(reply);
    return r && { routes: r.directory.routes.map((route, index) => ({ index, ...route })), version: r.version };
  });
  app.post<{ Body: { match?: unknown; user?: unknown; position?: number } }>('/api/v1/routes', async (req, reply) => {
    const { position, ...route } = req.body ?? {};
    return edited(reply, 201, () => editor.addRoute(route, position));
  });
  app.delete<{ Params: { index: string } }>('/api/v1/routes/:index', async (req, reply) => edited(reply, 200, () => editor.removeRoute(Number(req.params.index))));

  await app.register(async (sim) => {
    sim.addContentTypeParser(['image/tiff', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    sim.post<{ Querystring: Record<string, string | undefined>; Body: Buffer }>('/api/v1/sim/incoming', async (req, reply) => {
      const q = req.query;
      const problems: string[] = [];
      const number = (k: string) => {
        const v = (q[k] ?? '').replace(/[\s().-]/g, '');
        if (!/^\+?[0-9]{1,20}$/.test(v)) problems.push(`${k}: a phone number is required (digits, optional leading +)`);
        return v;
      };
      const did = number('did');
      const callingNumber = number('from');
      const pool = q.pool ?? 'sim';
      if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(pool)) problems.push('pool: not a pool name');
      if (q.csid !== undefined && q.csid.length > 20) problems.push('csid: at most 20 characters (T.30 §5.3.6.2.4)');
      if (q.sub !== undefined && !/^[0-9#* -]{1,20}$/.test(q.sub)) problems.push('sub: up to 20 digits, # and * (T.30 §5.3.6.2.11)');
      const failAfterPage = q.failAfter === undefined ? undefined : Number(q.failAfter);
      if (failAfterPage !== undefined && !(Number.isInteger(failAfterPage) && failAfterPage >= 0)) problems.push('failAfter: a page count');
      let pages = 0;
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) problems.push('body: the TIFF the simulated remote sends (Content-Type image/tiff)');
      else {
        try {
          pages = readTiff(req.body).length;
        } catch (err) {
          problems.push(`body: not a fax TIFF: ${(err as Error).message}`);
        }
      }
      if (problems.length) return reply.code(400).send({ error: problems.join('; ') });

      const inboundId = newInboundId();
      const documentKey = inboundBlobKeys.simOffer(inboundId);
      await ctx.blobs.put(documentKey, req.body);
      await inbound.create({ id: inboundId, state: 'offered', createdAt: new Date().toISOString(), did, callingNumber, pool, pages: 0, badRows: 0, partial: false, durationMs: 0, deliveryCount: 0, ...(q.csid ? { csid: q.csid } : {}), ...(q.sub ? { subAddress: q.sub } : {}) });
      try {
        await ctx.requestQueues.add('receive-call', { inboundId, did, callingNumber, documentKey, pool, ...(q.csid ? { csid: q.csid } : {}), ...(q.sub ? { subAddress: q.sub } : {}), ...(failAfterPage !== undefined ? { failAfterPage } : {}) }, { pool });
      } catch (err) {
        return reply.code(503).send({ error: `the call could not be queued: ${(err as Error).message}` });
      }
      return reply.code(202).send({ inboundId, pool, pages, status: `/api/v1/inbound/${inboundId}` });
    });
  });
}
