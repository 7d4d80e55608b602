import type { FastifyInstance } from 'fastify';
import { purgeOne } from '@faxgate/retention';
import type { RoleContext } from '@faxgate/runtime';

/**
 * POST /api/v1/faxes/:id/purge and /api/v1/inbound/:id/purge: `faxgate purge` for admins who
 * have the console but no shell on the gateway (a data-subject request handled from a browser).
 * 200 with what was deleted, 409 while the fax is in flight, 404 when nothing is stored.
 */
export function registerPurgeRoutes(app: FastifyInstance, ctx: Pick<RoleContext, 'records' | 'inbound' | 'blobs'>): void {
  const deps = { records: ctx.records, inbound: ctx.inbound, blobs: ctx.blobs };
  for (const [path, prefix] of [['faxes', 'fx'], ['inbound', 'in']] as const) {
    app.post<{ Params: { id: string }; Body: { reason?: unknown } | undefined }>(`/api/v1/${path}/:id/purge`, async (req, reply) => {
      const { id } = req.params;
      if (!new RegExp(`^${prefix}[0-9a-z]{10,40}$`).test(id)) return reply.code(400).send({ error: `"${id}" is not a ${path === 'faxes' ? 'fax' : 'received-fax'} id` });
      const reason = req.body?.reason;
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) return reply.code(400).send({ error: 'reason is a text of at most 500 characters' });
      const r = await purgeOne(deps, id, `console:${req.principal?.user ?? 'admin'}`, reason);
      if (r.purged) return { id, purged: true, removed: r.removed };
      return reply.code(r.inFlight ? 409 : 404).send({ error: r.refused });
    });
  }
}
