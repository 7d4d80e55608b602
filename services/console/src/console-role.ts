import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QUEUES, callQueueName } from '@faxgate/queue';
import { AuthThrottle, defineRole } from '@faxgate/runtime';
import { consoleSchema } from './config.ts';
import { consoleAuth } from './console-auth.ts';
import { crossSiteGuard } from './cross-site-guard.ts';
import { registerBullBoard } from './bull-board.ts';
import { registerLineStatusRoutes } from './line-status-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerPurgeRoutes } from './purge-routes.ts';
import { registerSettingsRoutes } from './settings-routes.ts';
import { registerInboundApi } from '@faxgate/directory';
import { dialFields, dialRulesFromConfig } from '@faxgate/phone';
import { derived, pick } from '@faxgate/config';
import { DestinationQuota, liveQuotaLimits } from '@faxgate/quotas';
import { ApiTokens, isApiToken } from './api/api-tokens.ts';
import { registerApi } from './api/register-api.ts';
import { registerOpenApi, registerOpenApiDocument } from './api/openapi.ts';
import { requireScope } from './api/principal.ts';
import { registerWebhookRoutes } from './webhooks/webhook-routes.ts';
import { registerConsolePages } from './pages/console-pages.ts';

/** console: the REST API (docs/api.md) and Bull Board on the process's HTTP server, behind auth. */
export const consoleRole = defineRole({
  name: 'console',
  schema: consoleSchema,
  async build(ctx, config) {
    const passwordFile = join(resolve(ctx.base.FAXGATE_DATA_DIR), 'console-password');
    const password = config.FAXGATE_CONSOLE_PASSWORD ?? (await generatedPassword(passwordFile));
    const throttle = new AuthThrottle({ maxFailures: config.FAXGATE_AUTH_MAX_FAILURES, lockoutMs: config.FAXGATE_AUTH_LOCKOUT });
    const tokens = new ApiTokens(ctx.requestRedis, ctx.base.FAXGATE_QUEUE_PREFIX);
    const apiToken = async (bearer: string) => {
      const t = isApiToken(bearer) ? await tokens.verify(bearer) : undefined;
      return t && { user: t.user, scopes: t.scopes, tokenId: t.id, ...(t.email ? { email: t.email } : {}) };
    };
    const auth = consoleAuth({ user: config.FAXGATE_CONSOLE_USER, password, token: config.FAXGATE_CONSOLE_TOKEN, throttle, apiToken });
    const pools = new Set(config.FAXGATE_CONSOLE_POOLS.split(',').map((s) => s.trim()).filter(Boolean));
    // Pools that have ever had calls are found by their queue's meta key.
    const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
    try {
      const keys = await ctx.redis.keys(`${prefix}:calls-*:meta`);
      for (const k of keys) pools.add(k.slice(prefix.length + 'calls-'.length + 1, -':meta'.length));
    } catch {
      // Redis not up yet: the configured pools are shown.
    }
    const names = [...Object.values(QUEUES), ...[...pools].map(callQueueName)];
    // The console's address alone (the chart's Ingress routes / here) opens the console's own
    // pages (sent faxes, /ui/), where the front desk and the admin work, rather than Bull Board's
    // job view (/queues). The redirect reveals nothing, so it needs no credentials, and /ui/
    // asks for them.
    ctx.http.get('/', (_req, reply) => reply.redirect('/ui/', 302));
    // Before any route: the OpenAPI document is collected from the routes registered after it.
    await registerOpenApi(ctx.http);
    await ctx.http.register(registerOpenApiDocument);
    await ctx.http.register(async (scope) => {
      scope.addHook('onRequest', crossSiteGuard);
      scope.addHook('onRequest', auth);
      // The REST API: each route checks the scope it needs (API tokens, issue 15).
      await scope.register(async (api) => registerWebhookRoutes(api, { redis: ctx.requestRedis, queuePrefix: prefix, inbound: ctx.requestInbound, allowPrivate: config.FAXGATE_WEBHOOK_ALLOW_PRIVATE }));
      await scope.register(async (api) => registerApi(api, ctx, { tokens, dialRules: derived(() => pick(config, Object.keys(dialFields)), () => dialRulesFromConfig(config)), defaultCountry: config.FAXGATE_DEFAULT_COUNTRY, faxDomain: () => config.FAXGATE_FAX_DOMAINS[0], directoryPath: config.FAXGATE_DIRECTORY, destinations: new DestinationQuota(ctx.requestRedis, prefix, liveQuotaLimits(config)) }));
      // Everything else (lines, the directory, Bull Board) is the admin's.
      await scope.register(async (admin) => {
        admin.addHook('onRequest', requireScope('admin'));
        registerLineStatusRoutes(admin, ctx);
        registerAuditRoutes(admin, ctx);
        registerPurgeRoutes(admin, ctx);
        registerSettingsRoutes(admin, ctx);
        registerConsolePages(admin);
        await registerInboundApi(admin, ctx, { directoryPath: config.FAXGATE_DIRECTORY });
        await registerBullBoard(admin, names.map((n) => ctx.queues.byName(n)));
      });
    });
    return {
      async start() {},
      async stop() {},
      describe: () => [`console   /ui/ (pages, / opens them), /queues (Bull Board), /api/v1 — user ${config.FAXGATE_CONSOLE_USER}${config.FAXGATE_CONSOLE_PASSWORD ? '' : `, password in ${passwordFile} (generated; set FAXGATE_CONSOLE_PASSWORD)`}`],
    };
  },
});

/**
 * The generated console password: read from its file when an earlier start made one, else made
 * and written there with mode 600. It is never printed (logs and terminals are read by others).
 */
async function generatedPassword(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (existing) {
    await chmod(file, 0o600);
    return existing;
  }
  const password = randomBytes(12).toString('base64url');
  await mkdir(resolve(file, '..'), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}
