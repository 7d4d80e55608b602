import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { submitMultipart } from './schemas.ts';

/**
 * The OpenAPI 3.1 document of /api/v1, generated from the routes' JSON Schemas (so it cannot
 * drift from what the routes validate), and a docs page. Registered on the server itself
 * (@fastify/swagger collects every route registered after it); routes without a tag (health,
 * metrics, Bull Board, the older console routes) are left out. Both are public: the API's
 * shape is no secret in an open-source gateway, and every route in it requires a token.
 */
export async function registerOpenApi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'faxgate API',
        version: '1',
        description: 'Send faxes, follow them, read received faxes. Authenticate with `Authorization: Bearer <token>` (tokens: `faxgate tokens add`, or POST /api/v1/tokens as admin). See docs/api.md.',
        license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`fgt_…`) or FAXGATE_CONSOLE_TOKEN.' },
          basic: { type: 'http', scheme: 'basic', description: 'The console user (admin).' },
        },
      },
      security: [{ bearer: [] }, { basic: [] }],
      tags: [
        { name: 'faxes', description: 'Faxes sent through faxgate (by mail or by this API).' },
        { name: 'inbound', description: 'Faxes received on the lines.' },
        { name: 'tokens', description: 'API tokens (admin).' },
        { name: 'destinations', description: 'What faxgate learned about each remote number; block, unblock, forget (admin).' },
        { name: 'usage', description: 'Accounting: pages and line minutes per sender and domain, per month or day.' },
      ],
    },
    hideUntagged: true,
    transform: ({ schema, url, route }) => {
      if (url !== '/api/v1/faxes' || route.method !== 'POST' || !schema) return { schema, url };
      const body = (schema as { body: { content: Record<string, unknown> } }).body;
      return { schema: { ...schema, body: { ...body, content: { ...body.content, 'multipart/form-data': { schema: submitMultipart } } } } as typeof schema, url };
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
}

/** GET /api/v1/openapi.json and the docs page at /api/v1/docs (outside the authenticated scope). */
export async function registerOpenApiDocument(app: FastifyInstance) {
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: true });
}
