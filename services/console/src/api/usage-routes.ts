import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { UsageLedger } from '@faxgate/quotas';
import { hasScope, readsAll } from './principal.ts';

// Accounting (issue 14) through the API: pages the far ends confirmed, line time and faxes per
// sender and per sender domain, per UTC month or day, from the same ledger `faxgate usage` and
// the faxgate_usage_* metrics read. read-all sees every sender and domain; a token that sends or
// reads its own faxes sees its own sender's row only (its domain's row would show colleagues').

const ERR = { $ref: 'Error#' } as const;

const usageRow = {
  type: 'object',
  required: ['scope', 'name', 'faxes', 'pages', 'lineMs', 'lineMinutes'],
  properties: {
    scope: { type: 'string', enum: ['sender', 'domain'] },
    name: { type: 'string', description: 'The sender address, or the domain of sender addresses.' },
    faxes: { type: 'integer', description: 'Recipients that ended in the period (sent, failed or cancelled).' },
    pages: { type: 'integer', description: 'Pages the far ends confirmed.' },
    lineMs: { type: 'integer', description: 'Time on the line, every call of every recipient.' },
    lineMinutes: { type: 'number' },
  },
} as const;

export const usageRouteSchema = {
  tags: ['usage'],
  summary: 'Pages and line minutes per sender and domain, for a month or a day (UTC)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      month: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM; the current month when neither month nor day is given.' },
      day: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD.' },
      sender: { type: 'string', maxLength: 320, description: 'That sender and its domain (read-all).' },
      domain: { type: 'string', maxLength: 255, description: 'That domain and its senders (read-all).' },
      daily: { type: 'boolean', default: false, description: 'One entry per day of the month that has usage.' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['periods'],
      properties: { periods: { type: 'array', items: { type: 'object', required: ['period', 'rows'], properties: { period: { type: 'string' }, rows: { type: 'array', items: usageRow } } } } },
    },
    400: ERR,
    401: ERR,
    403: ERR,
    503: ERR,
  },
};

interface UsageQuery {
  month?: string;
  day?: string;
  sender?: string;
  domain?: string;
  daily: boolean;
}

/** GET /api/v1/usage. */
export function registerUsageRoutes(app: FastifyInstance, deps: { redis: Redis; queuePrefix: string }) {
  const ledger = new UsageLedger(deps.redis, deps.queuePrefix);
  app.get<{ Querystring: UsageQuery }>('/api/v1/usage', { schema: usageRouteSchema }, async (req, reply) => {
    const q = req.query;
    const p = req.principal;
    if (q.month && q.day) return reply.code(400).send({ error: 'give month or day, not both' });
    if (q.daily && q.day) return reply.code(400).send({ error: 'daily goes with a month' });
    let filter: { sender?: string; domain?: string };
    let own: string | undefined;
    if (readsAll(p)) {
      filter = { sender: q.sender, domain: q.domain };
    } else if (p?.email && (hasScope(p, 'send') || hasScope(p, 'read-own'))) {
      if ((q.sender && q.sender.toLowerCase() !== p.email.toLowerCase()) || q.domain) return reply.code(403).send({ error: 'this token sees its own usage only; other senders and domains need the scope read-all' });
      own = p.email.toLowerCase();
      filter = { sender: own };
    } else {
      return reply.code(403).send({ error: 'this token lacks the scope read-all (or send/read-own with an e-mail address, for its own usage)' });
    }
    const period = q.day ?? q.month ?? new Date().toISOString().slice(0, 7);
    const tables = q.daily ? (await ledger.days(period, filter)).map((d) => ({ period: d.day, rows: d.rows })) : [{ period, rows: await ledger.totals(period, filter) }];
    return {
      periods: tables.map((t) => ({
        period: t.period,
        rows: t.rows.filter((r) => !own || r.scope === 'sender').map((r) => ({ ...r, lineMinutes: Math.round(r.lineMs / 600) / 100 })),
      })),
    };
  });
}
