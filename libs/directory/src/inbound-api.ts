import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readTiff } from '@faxgate/fax-image';
import { newInboundId } from '@faxgate/queue';
import type { RoleContext } from '@faxgate/runtime';
import { inboundBlobKeys } from '@faxgate/store';
import { DirectoryEditError, DirectoryEditor } from './directory-editor.ts';
import { DirectoryError } from './directory-parse.ts';

/**
 * The console's API for the directory of received faxes (users, routes, the unaddressed
 * mailbox) and simulated incoming calls. The console registers it inside its
 * authenticated scope; edits go to the directory file, which every inbound process reloads.
 */
export async function registerInboundApi(app: FastifyInstance, ctx: RoleContext, opts: { directoryPath: string }) {
  // Inside HTTP requests: the fail-fast connection, so a Redis outage is a quick 5xx, not a hang.
  const inbound = ctx.requestInbound;
  const editor = new DirectoryEditor(resolve(opts.directoryPath));

  // Reading received faxes (list, record, document, thumbnails) is the console's REST API
  // (services/console/src/api/inbound-routes.ts), with the owner's and the admin's view.

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
