import type { FastifyInstance } from 'fastify';
import type { FaxRecords } from '@faxgate/store';

/** REST API: a fax's state, each recipient's outcome and attempts, and its timeline. */
export function registerFaxRoutes(app: FastifyInstance, records: FaxRecords) {
  app.get<{ Params: { id: string } }>('/api/v1/faxes/:id', async (req, reply) => {
    if (!/^fx[0-9a-z]{10,40}$/.test(req.params.id)) return reply.code(400).send({ error: `"${req.params.id}" is not a fax id` });
    const view = await records.view(req.params.id);
    if (!view) return reply.code(404).send({ error: `no fax ${req.params.id}` });
    return view;
  });
  app.get<{ Querystring: { limit?: string } }>('/api/v1/faxes', async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 500);
    const ids = await records.recent(limit);
    const faxes = await Promise.all(ids.map((id) => records.getFax(id)));
    return { faxes: faxes.filter(Boolean) };
  });
}
