import { WEBHOOK_EVENTS } from '@faxgate/webhooks';

const ERR = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } as const;
const TAGS = ['webhooks'];
const WEBHOOK_ID = { type: 'string', pattern: '^wh[0-9a-f]{16}$' } as const;

const webhook = {
  type: 'object',
  required: ['id', 'user', 'url', 'events', 'all', 'createdAt'],
  properties: {
    id: WEBHOOK_ID,
    user: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
    all: { type: 'boolean', description: 'Every fax, not only the user\'s own.' },
    tokenId: { type: 'string' },
    description: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const deliveryEntry = {
  type: 'object',
  required: ['at', 'webhook', 'url', 'event', 'eventId', 'attempt', 'outcome', 'ms'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    webhook: WEBHOOK_ID,
    url: { type: 'string' },
    event: { type: 'string' },
    eventId: { type: 'string' },
    attempt: { type: 'integer' },
    outcome: { type: 'string', enum: ['delivered', 'retrying', 'failed'] },
    status: { type: 'integer' },
    error: { type: 'string' },
    ms: { type: 'integer' },
  },
} as const;

/** The webhook routes' JSON Schemas: validation and the OpenAPI document. */
export const webhookSchemas = {
  create: {
    tags: TAGS,
    summary: 'Register a webhook; the answer holds its signing secret, shown only once',
    body: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', maxLength: 2000, description: 'http(s) URL; private and loopback hosts are refused unless FAXGATE_WEBHOOK_ALLOW_PRIVATE is on.' },
        events: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, description: 'Default: every event.' },
        all: { type: 'boolean', description: 'Every fax, not only the user\'s (read-all or admin scope).' },
        description: { type: 'string', maxLength: 200 },
      },
    },
    response: { 201: { ...webhook, required: [...webhook.required, 'secret'], properties: { ...webhook.properties, secret: { type: 'string' } } }, 400: ERR, 403: ERR, 422: ERR },
  },
  list: {
    tags: TAGS,
    summary: 'List webhooks: the user\'s own (every one for an admin), without their secrets',
    response: { 200: { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: webhook } } }, 403: ERR },
  },
  remove: {
    tags: TAGS,
    summary: 'Delete a webhook (its owner or an admin)',
    params: { type: 'object', required: ['id'], properties: { id: WEBHOOK_ID } },
    response: { 200: { type: 'object', properties: { deleted: { type: 'string' } } }, 403: ERR, 404: ERR },
  },
  test: {
    tags: TAGS,
    summary: 'Send a sample event (webhook.test) to the webhook now, once, and tell how it answered',
    params: { type: 'object', required: ['id'], properties: { id: WEBHOOK_ID } },
    response: { 200: { type: 'object', required: ['ok', 'ms'], properties: { ok: { type: 'boolean' }, status: { type: 'integer' }, error: { type: 'string' }, ms: { type: 'integer' } } }, 403: ERR, 404: ERR },
  },
  faxLog: {
    tags: TAGS,
    summary: 'The webhook deliveries of a fax, every try',
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^fx[0-9a-z]{10,40}$' } } },
    response: { 200: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: deliveryEntry } } }, 404: ERR },
  },
  inboundLog: {
    tags: TAGS,
    summary: 'The webhook deliveries of a received fax, every try',
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^in[0-9a-z]{10,40}$' } } },
    response: { 200: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: deliveryEntry } } }, 404: ERR },
  },
};
