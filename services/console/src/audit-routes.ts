import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AuditLog, auditRange, formatAudit } from '@faxgate/audit';
import type { RoleContext } from '@faxgate/runtime';

/**
 * GET /api/v1/audit?from=&to=&format=csv|jsonl: the audit trail by date range (the same export
 * as `faxgate audit export`), streamed as it is read, so a year's export does not sit in memory.
 */
export function registerAuditRoutes(app: FastifyInstance, ctx: Pick<RoleContext, 'requestRedis' | 'base'>): void {
  const audit = new AuditLog(ctx.requestRedis, ctx.base.FAXGATE_QUEUE_PREFIX);
  app.get<{ Querystring: { from?: string; to?: string; format?: string } }>('/api/v1/audit', async (req, reply) => {
    const format = req.query.format ?? 'csv';
    if (format !== 'csv' && format !== 'jsonl') return reply.code(400).send({ error: `format is csv or jsonl, not "${format}"` });
    let range;
    try {
      range = auditRange(req.query.from, req.query.to);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    try {
      // Redis answers before the 200 goes out: once streaming, a failure can only cut the body.
      await audit.length();
    } catch (err) {
      return reply.code(503).send({ error: `the audit trail cannot be read now: ${(err as Error).message}` });
    }
    const name = `faxgate-audit-${new Date(range.fromMs).toISOString().slice(0, 10)}-${new Date(range.toMs - 1).toISOString().slice(0, 10)}.${format}`;
    reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(formatAudit(audit.range(range.fromMs, range.toMs), format)));
  });
}
