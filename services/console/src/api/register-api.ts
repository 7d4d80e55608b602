import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { RoleContext } from '@faxgate/runtime';
import { FaxRecords } from '@faxgate/store';
import type { DialRules } from '@faxgate/phone';
import type { DestinationQuota } from '@faxgate/quotas';
import type { ApiTokens } from './api-tokens.ts';
import { registerDestinationRoutes } from './destination-routes.ts';
import { registerFaxControlRoutes } from './fax-control-routes.ts';
import { registerFaxReadRoutes } from './fax-read-routes.ts';
import { registerFaxResendRoutes } from './fax-resend-routes.ts';
import { registerFaxSubmitRoutes } from './fax-submit-routes.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { registerInboundRedeliverRoute, registerInboundRoutes } from './inbound-routes.ts';
import { sharedSchemas } from './schemas.ts';
import { registerTokenRoutes } from './token-routes.ts';
import { registerUsageRoutes } from './usage-routes.ts';

export interface ApiOptions {
  tokens: ApiTokens;
  /** The dial rules of the moment (runtime settings, issue 20). */
  dialRules: () => DialRules;
  defaultCountry: string;
  /** The first fax domain of the moment (runtime settings). */
  faxDomain: () => string;
  /** The directory of received faxes (users to re-deliver to). */
  directoryPath: string;
  destinations?: DestinationQuota;
}

/**
 * The REST API under /api/v1 (issue 15): faxes (send, list, view, document, thumbnails,
 * resend, cancel, hold, release), received faxes, tokens, destination memory and usage. Registered inside the console's authenticated scope:
 * `req.principal` is set, and each route checks the scope it needs.
 */
export async function registerApi(app: FastifyInstance, ctx: RoleContext, opts: ApiOptions) {
  for (const s of sharedSchemas) app.addSchema(s);
  await app.register(multipart);
  // Inside HTTP requests: the fail-fast connection, so a Redis outage is a quick 503, not a hang.
  const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
  const records = new FaxRecords(ctx.requestRedis, prefix);
  const submitDeps = {
    ...(opts.destinations ? { destinations: opts.destinations } : {}),
    blobs: ctx.blobs,
    records,
    queues: ctx.requestQueues,
    // Read at each request: the dial rules follow the runtime settings.
    get dialRules() {
      return opts.dialRules();
    },
    defaultCountry: opts.defaultCountry,
    get faxDomain() {
      return opts.faxDomain();
    },
    idempotency: new IdempotencyKeys(ctx.requestRedis, prefix),
  };
  registerFaxSubmitRoutes(app, submitDeps);
  registerFaxResendRoutes(app, submitDeps);
  registerFaxReadRoutes(app, { redis: ctx.requestRedis, queuePrefix: prefix, records, blobs: ctx.blobs });
  registerInboundRoutes(app, { redis: ctx.requestRedis, queuePrefix: prefix, inbound: ctx.requestInbound, blobs: ctx.blobs });
  registerInboundRedeliverRoute(app, { inbound: ctx.requestInbound, queues: ctx.requestQueues, directoryPath: opts.directoryPath });
  registerFaxControlRoutes(app, { records, queues: ctx.requestQueues, redis: ctx.requestRedis, base: ctx.base });
  registerTokenRoutes(app, opts.tokens);
  registerDestinationRoutes(app, { redis: ctx.requestRedis, queuePrefix: prefix, defaultCountry: opts.defaultCountry });
  registerUsageRoutes(app, { redis: ctx.requestRedis, queuePrefix: prefix });
}
