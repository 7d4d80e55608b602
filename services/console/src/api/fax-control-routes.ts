import type { FastifyInstance } from 'fastify';
import { FaxControlError, cancelFax, holdFax, releaseFax, type ControlResult, type ControlTarget, type FaxControlContext } from '@faxgate/fax-control';
import { maySee, requireScope } from './principal.ts';
import { routeSchemas } from './schemas.ts';

const OPERATIONS: Record<string, (ctx: FaxControlContext, faxId: string, target: ControlTarget) => Promise<ControlResult>> = {
  cancel: cancelFax,
  hold: holdFax,
  release: releaseFax,
};

/**
 * POST /faxes/:id/cancel|hold|release (HylaFAX faxrm, faxalter -h / -r): the dispatch's
 * controls in libs/fax-control, for the fax's owner (send scope) or an admin. The body may
 * name one recipient and a reason the sender reads in the result mail.
 */
export function registerFaxControlRoutes(app: FastifyInstance, ctx: FaxControlContext) {
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    app.post<{ Params: { id: string }; Body: { recipient?: number; reason?: string } | undefined }>(`/api/v1/faxes/:id/${name}`, { schema: routeSchemas.control(name), preHandler: requireScope('send') }, async (req, reply) => {
      const fax = await ctx.records.getFax(req.params.id);
      if (!fax || !maySee(req.principal, fax.authUser)) return reply.code(404).send({ error: `no fax ${req.params.id}` });
      const by = `${req.principal?.user ?? 'unknown'} (api${req.principal?.tokenId ? ` token ${req.principal.tokenId}` : ''})`;
      try {
        const result = await operation(ctx, req.params.id, { by, recipient: req.body?.recipient, reason: req.body?.reason });
        req.log.info({ faxId: req.params.id, by, changed: result.changed }, `fax ${name} through the API`);
        return result;
      } catch (err) {
        if (err instanceof FaxControlError) return reply.code(404).send({ error: err.message });
        throw err;
      }
    });
  }
}
