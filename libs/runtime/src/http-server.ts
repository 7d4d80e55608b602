import Fastify, { type FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';

export interface HealthState {
  shuttingDown: boolean;
  /** Returns the reasons the process is not ready; empty when it is. */
  check(): Promise<string[]>;
  /** What an operator must see before it becomes a problem (Redis nearly full); ready all the same. */
  warnings?(): Promise<string[]>;
  /** Facts shown on every /readyz answer (the runtime settings version this process runs). */
  info?(): Record<string, unknown>;
}

/**
 * Every role's HTTP server: /healthz (the process is alive), /readyz (Redis and the roles are
 * ready; 503 with reasons otherwise, and during shutdown) and /metrics. The console role adds
 * its API and Bull Board to the same server.
 */
export function createHttpServer(registry: Registry, health: HealthState, opts: { metricsToken?: string } = {}): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (health.shuttingDown) return reply.code(503).send({ status: 'shutting down' });
    const problems = await health.check();
    const warnings = (await health.warnings?.().catch(() => [])) ?? [];
    const info = health.info?.() ?? {};
    if (problems.length) return reply.code(503).send({ status: 'not ready', problems, ...(warnings.length ? { warnings } : {}), ...info });
    // Warnings keep the pod ready: taking every pod out of its Service at 90 % of Redis's memory
    // would stop the workers' reads and the console as well as new mail.
    return { status: 'ready', ...(warnings.length ? { warnings } : {}), ...info };
  });
  const digest = (t: string) => createHash('sha256').update(t).digest();
  const metricsToken = opts.metricsToken ? digest(opts.metricsToken) : undefined;
  app.get('/metrics', async (req, reply) => {
    // Queue depths and fax counts say a lot about an installation: a token keeps them private.
    const h = req.headers.authorization ?? '';
    if (metricsToken && !(h.startsWith('Bearer ') && timingSafeEqual(digest(h.slice(7)), metricsToken))) {
      reply.header('www-authenticate', 'Bearer realm="faxgate metrics"');
      return reply.code(401).send({ error: 'a bearer token is required for /metrics' });
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return app;
}
