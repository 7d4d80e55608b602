import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { AuditLog } from '@faxgate/audit';
import { Destinations, auditDestinationEdit, destinationNumber, refusalOf, type DestinationRecord } from '@faxgate/destinations';
import { requireScope } from './principal.ts';

// Destination memory (issue 14) through the API: what faxgate learned about each remote number,
// readable with read-all (the numbers everyone faxed are not one user's), editable by an admin.
// The same store and rules as `faxgate destinations`; each admin edit leaves an audit line.

const ERR = { $ref: 'Error#' } as const;
const TAGS = ['destinations'];

export const destinationSchema = {
  $id: 'Destination',
  type: 'object',
  additionalProperties: true,
  required: ['number', 'calls', 'status'],
  properties: {
    number: { type: 'string', description: 'E.164.' },
    status: { type: 'string', enum: ['ok', 'held', 'blocked'], description: 'Whether faxes to it are dialled now.' },
    refusal: { type: 'object', additionalProperties: true, properties: { code: { type: 'string' }, detail: { type: 'string' }, until: { type: 'string' } }, description: 'Why it is not dialled now, as senders are told.' },
    calls: { type: 'integer' },
    firstCallAt: { type: 'string', format: 'date-time' },
    lastCallAt: { type: 'string', format: 'date-time' },
    lastResult: { type: 'string' },
    lastReason: { type: 'string' },
    lastSuccessAt: { type: 'string', format: 'date-time' },
    csi: { type: 'string', description: 'The far machine\'s CSI (T.30 §5.3.6.2.4), as last received.' },
    dis: { type: 'object', additionalProperties: true, description: 'What its last DIS offered (T.30 §5.3.6.2.1): rates, ECM, MMR, widths, resolutions.' },
    lastGoodSpeed: { type: 'integer', description: 'The page-data speed (bit/s) that last carried pages.' },
    trainingFailures: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Failed TCF trainings by bit rate.' },
    ecmTrouble: { type: 'integer' },
    consecutiveFailures: { type: 'integer' },
    failureTimes: { type: 'array', items: { type: 'string' } },
    noFaxToneAt: { type: 'string', format: 'date-time' },
    heldUntil: { type: 'string', format: 'date-time' },
    heldWhy: { type: 'string' },
    blocked: { type: 'object', additionalProperties: true, properties: { by: { type: 'string' }, at: { type: 'string' }, reason: { type: 'string' } } },
  },
} as const;

const numberParams = {
  type: 'object',
  required: ['number'],
  properties: { number: { type: 'string', minLength: 3, maxLength: 40, description: 'E.164 (`+12125550100`) or a national number of FAXGATE_DEFAULT_COUNTRY.', examples: ['+12125550100'] } },
} as const;

const ONE = { 200: { $ref: 'Destination#' }, 400: ERR, 401: ERR, 403: ERR, 404: ERR, 503: ERR };

export const destinationRouteSchemas = {
  list: {
    tags: TAGS,
    summary: 'Remote numbers faxgate remembers, most recently called first',
    querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, offset: { type: 'integer', minimum: 0, default: 0 } } },
    response: { 200: { type: 'object', required: ['destinations'], properties: { destinations: { type: 'array', items: { $ref: 'Destination#' } } } }, 400: ERR, 401: ERR, 403: ERR, 503: ERR },
  },
  view: { tags: TAGS, summary: 'What faxgate learned about one number: DIS, CSI, speeds, failures, hold or block', params: numberParams, response: ONE },
  forget: { tags: TAGS, summary: 'Forget everything learned about a number, its hold and block included (admin)', params: numberParams, response: { 200: { type: 'object', required: ['number', 'forgotten'], properties: { number: { type: 'string' }, forgotten: { type: 'boolean', description: 'False when nothing was known.' } } }, 400: ERR, 401: ERR, 403: ERR, 503: ERR } },
  block: {
    tags: TAGS,
    summary: 'Block a number: faxes to it fail with the reason until unblocked (admin)',
    params: numberParams,
    body: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500, description: 'Shown to senders of faxes to the number.' } } } } } },
    response: ONE,
  },
  unblock: { tags: TAGS, summary: 'Lift a block and a failure hold; what was learned stays (admin)', params: numberParams, response: ONE },
};

/** A record as the API shows it: with whether, and why not, it is dialled now. */
function view(d: DestinationRecord, now = Date.now()) {
  const refusal = refusalOf(d, now);
  return { ...d, status: refusal?.code === 'DESTINATION_BLOCKED' ? 'blocked' : refusal ? 'held' : 'ok', ...(refusal ? { refusal } : {}) };
}

export interface DestinationRouteDeps {
  redis: Redis;
  queuePrefix: string;
  defaultCountry: string;
}

/** GET /api/v1/destinations[/:number], POST /api/v1/destinations/:number/forget|block|unblock. */
export function registerDestinationRoutes(app: FastifyInstance, deps: DestinationRouteDeps) {
  app.addSchema(destinationSchema);
  const store = new Destinations(deps.redis, deps.queuePrefix);
  const audit = new AuditLog(deps.redis, deps.queuePrefix);
  const read = requireScope('read-all');
  const admin = requireScope('admin');
  const parse = (raw: string, reply: FastifyReply) => {
    const n = destinationNumber(raw, deps.defaultCountry);
    if (!n.ok) void reply.code(400).send({ error: n.detail });
    return n.ok ? n.e164 : undefined;
  };
  const actorOf = (p: { user: string; tokenId?: string } | undefined) => `console:${p?.user ?? 'unknown'}${p?.tokenId ? ` (token ${p.tokenId})` : ''}`;

  app.get<{ Querystring: { limit: number; offset: number } }>('/api/v1/destinations', { schema: destinationRouteSchemas.list, preHandler: read }, async (req) => {
    const now = Date.now();
    return { destinations: (await store.list(req.query.limit, req.query.offset)).map((d) => view(d, now)) };
  });

  app.get<{ Params: { number: string } }>('/api/v1/destinations/:number', { schema: destinationRouteSchemas.view, preHandler: read }, async (req, reply) => {
    const number = parse(req.params.number, reply);
    if (!number) return reply;
    const d = await store.get(number);
    if (!d) return reply.code(404).send({ error: `${number}: nothing known about this number` });
    return view(d);
  });

  app.post<{ Params: { number: string } }>('/api/v1/destinations/:number/forget', { schema: destinationRouteSchemas.forget, preHandler: admin }, async (req, reply) => {
    const number = parse(req.params.number, reply);
    if (!number) return reply;
    const actor = actorOf(req.principal);
    const forgotten = await store.forget(number, auditDestinationEdit(audit, 'forgotten', number, actor));
    req.log.info({ number, by: actor, forgotten }, 'destination forgotten through the API');
    return { number, forgotten };
  });

  app.post<{ Params: { number: string }; Body: { reason?: string } | undefined }>('/api/v1/destinations/:number/block', { schema: destinationRouteSchemas.block, preHandler: admin }, async (req, reply) => {
    const number = parse(req.params.number, reply);
    if (!number) return reply;
    const actor = actorOf(req.principal);
    const reason = req.body?.reason?.trim() || undefined;
    const d = await store.block(number, actor, reason, auditDestinationEdit(audit, 'blocked', number, actor, reason));
    req.log.info({ number, by: actor }, 'destination blocked through the API');
    return view(d);
  });

  app.post<{ Params: { number: string } }>('/api/v1/destinations/:number/unblock', { schema: destinationRouteSchemas.unblock, preHandler: admin }, async (req, reply) => {
    const number = parse(req.params.number, reply);
    if (!number) return reply;
    if (!(await store.get(number))) return reply.code(404).send({ error: `${number}: nothing known about this number` });
    const actor = actorOf(req.principal);
    const d = await store.unblock(number, auditDestinationEdit(audit, 'unblocked', number, actor));
    req.log.info({ number, by: actor }, 'destination unblocked through the API');
    return view(d);
  });
}
