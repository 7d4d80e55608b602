import type { FastifyInstance } from 'fastify';
import { ApiTokens, type Scope } from './api-tokens.ts';
import { requireScope } from './principal.ts';
import { routeSchemas } from './schemas.ts';

/** /api/v1/tokens: create, list and revoke API tokens (admin scope). */
export function registerTokenRoutes(app: FastifyInstance, tokens: ApiTokens) {
  const admin = requireScope('admin');
  app.post<{ Body: { user: string; email?: string; scopes: Scope[]; name?: string } }>('/api/v1/tokens', { schema: routeSchemas.tokenCreate, preHandler: admin }, async (req, reply) => {
    const { token, record } = await tokens.create({ ...req.body, createdBy: req.principal?.user ?? 'unknown' });
    req.log.info({ tokenId: record.id, user: record.user, scopes: record.scopes, by: record.createdBy }, 'API token created');
    return reply.code(201).send({ ...record, token });
  });
  app.get('/api/v1/tokens', { schema: routeSchemas.tokenList, preHandler: admin }, async () => ({ tokens: await tokens.list() }));
  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { schema: routeSchemas.tokenRevoke, preHandler: admin }, async (req, reply) => {
    if (!(await tokens.revoke(req.params.id))) return reply.code(404).send({ error: `no token ${req.params.id}` });
    req.log.info({ tokenId: req.params.id, by: req.principal?.user }, 'API token revoked');
    return { revoked: req.params.id };
  });
}
