// JSON Schemas of the API's routes: Fastify validates requests with them, and @fastify/swagger
// turns them into the OpenAPI 3.1 document at /api/v1/openapi.json. Records are open
// (additionalProperties) so a field a later version adds is passed through, not dropped.

const FAX_ID = { type: 'string', pattern: '^fx[0-9a-z]{10,40}$', description: 'A fax id (`fx…`).' } as const;
const INBOUND_ID = { type: 'string', pattern: '^in[0-9a-z]{10,40}$', description: 'A received fax id (`in…`).' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'What went wrong, in a sentence.' },
    problems: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, problem: { type: 'string' }, code: { type: 'string' } }, additionalProperties: true },
    },
  },
  additionalProperties: true,
} as const;

const ERR = { $ref: 'Error#' } as const;

const recipientSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    index: { type: 'integer' },
    number: { type: 'string', description: 'E.164.' },
    name: { type: 'string' },
    state: { type: 'string', description: 'waiting, calling, retry-wait, sent, failed (cancelled, held with the dispatch controls).' },
    pagesTotal: { type: 'integer' },
    pagesSent: { type: 'integer' },
    attempts: { type: 'integer' },
    remoteId: { type: 'string', description: 'The remote station id (CSID) the last call reported.' },
    reason: { type: 'string', description: 'Why the last call or the fax failed, in plain words.' },
    errorCode: { type: 'string' },
    attemptsDetail: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

export const faxSchema = {
  $id: 'Fax',
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'createdAt'],
  properties: {
    id: FAX_ID,
    state: { type: 'string', description: 'queued, rendering, rendered, done, failed.' },
    createdAt: { type: 'string', format: 'date-time' },
    sender: { type: 'string', description: 'Where result mails go.' },
    subject: { type: 'string' },
    authUser: { type: 'string', description: 'The user who sent it (API token user or SMTP AUTH user).' },
    recipientCount: { type: 'integer' },
    documentPages: { type: 'integer' },
    numbers: { type: 'array', items: { type: 'string' }, description: 'Recipient numbers (in lists).' },
    recipients: { type: 'array', items: recipientSchema },
    timeline: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { at: { type: 'string' }, event: { type: 'string' }, recipient: { type: 'integer' }, detail: { type: 'string' } } } },
  },
} as const;

export const inboundSchema = {
  $id: 'InboundFax',
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'createdAt'],
  properties: {
    id: INBOUND_ID,
    state: { type: 'string', description: 'offered, receiving, received, routed, delivered, failed.' },
    createdAt: { type: 'string', format: 'date-time' },
    did: { type: 'string' },
    callingNumber: { type: 'string' },
    csid: { type: 'string' },
    pages: { type: 'integer' },
    route: { type: 'object', additionalProperties: true },
    thumbnails: { type: 'array', items: { type: 'string' }, description: 'URLs of the page thumbnails (PNG).' },
  },
} as const;

export const tokenSchema = {
  $id: 'ApiToken',
  type: 'object',
  additionalProperties: true,
  required: ['id', 'user', 'scopes'],
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    email: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: ['send', 'read-own', 'read-all', 'admin'] } },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    lastUsedAt: { type: 'string', format: 'date-time' },
    token: { type: 'string', description: 'The secret token: only in the answer that created it.' },
  },
} as const;

export const sharedSchemas = [errorSchema, faxSchema, inboundSchema, tokenSchema];

const coverFields = {
  to_name: { type: 'string', maxLength: 200, description: 'Recipient name on the cover page.' },
  to_company: { type: 'string', maxLength: 200, description: 'Recipient company on the cover page.' },
  subject: { type: 'string', maxLength: 998 },
  message: { type: 'string', maxLength: 100_000, description: 'Cover page message (or, with cover `none`, a text page).' },
  cover: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,60}$', description: '`none` for no cover page, or a cover template name.' },
  priority: { type: 'string', enum: ['urgent', 'high', 'normal', 'low', 'bulk'] },
  send_at: { type: 'string', format: 'date-time', description: 'Not dialled before this time.' },
} as const;

const submitJson = {
  type: 'object',
  required: ['numbers'],
  // Something to fax: documents, or a message (the cover page's, or a text page without one).
  anyOf: [{ required: ['documents'] }, { required: ['message'] }],
  additionalProperties: false,
  properties: {
    numbers: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 3, maxLength: 40, examples: ['+12125550100'] }, description: 'Fax numbers (E.164 or national).' },
    documents: {
      type: 'array',
      maxItems: 20,
      minItems: 1,
      items: {
        type: 'object',
        required: ['filename', 'content_base64'],
        additionalProperties: false,
        properties: {
          filename: { type: 'string', minLength: 1, maxLength: 255, examples: ['hello.txt'] },
          content_type: { type: 'string', maxLength: 200 },
          content_base64: { type: 'string', contentEncoding: 'base64', description: 'The document, base64. faxgate never fetches URLs.', examples: [Buffer.from('Hello from faxgate.\n').toString('base64')] },
        },
      },
    },
    ...coverFields,
  },
} as const;

/**
 * The multipart form: only in the OpenAPI document (openapi.ts adds it), since the route reads
 * the parts as they stream in, after validation.
 */
export const submitMultipart = {
  type: 'object',
  properties: {
    numbers: { type: 'array', items: { type: 'string' }, description: 'One field per number (`numbers` repeated, or comma-separated).' },
    file: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' }, description: 'The documents: one file part each (any field name).' },
    ...coverFields,
  },
} as const;

const submitted = {
  type: 'object',
  required: ['id', 'state'],
  additionalProperties: true,
  properties: { id: FAX_ID, state: { type: 'string' }, numbers: { type: 'array', items: { type: 'string' } }, status_url: { type: 'string' } },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: FAX_ID } } as const;
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 40, description: 'A recipient number (any form; digits compared).' },
    sender: { type: 'string', maxLength: 200, description: 'Part of the sender address or From header, or the user.' },
    state: { type: 'string', maxLength: 40 },
    from: { type: 'string', format: 'date-time', description: 'Created at or after.' },
    to: { type: 'string', format: 'date-time', description: 'Created before.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 200, description: 'next_cursor of the page before.' },
  },
} as const;
const listAnswer = (item: string) => ({
  type: 'object',
  required: ['faxes'],
  properties: { faxes: { type: 'array', items: { $ref: `${item}#` } }, next_cursor: { type: 'string', description: 'Give as cursor for the next page; absent on the last page.' } },
});

const TAG_FAX = ['faxes'];
export const routeSchemas = {
  submit: {
    tags: TAG_FAX,
    summary: 'Send a fax',
    description: 'JSON with documents inline (base64) or multipart/form-data with files. Numbers go through the dial rules (refused: 422). An `Idempotency-Key` header makes a retried request answer as the first one did, without sending again.',
    headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
    body: { content: { 'application/json': { schema: submitJson } } },
    response: { 202: submitted, 400: ERR, 401: ERR, 403: ERR, 409: ERR, 413: ERR, 422: ERR, 429: ERR, 503: ERR },
  },
  list: {
    tags: TAG_FAX,
    summary: 'List faxes, newest first',
    querystring: listQuery,
    response: { 200: listAnswer('Fax'), 400: ERR, 401: ERR, 403: ERR },
  },
  view: {
    tags: TAG_FAX,
    summary: 'A fax: recipients, attempts, pages, remote CSID, reasons, timeline',
    params: idParams,
    response: { 200: { $ref: 'Fax#' }, 400: ERR, 401: ERR, 404: ERR },
  },
  document: {
    tags: TAG_FAX,
    summary: 'The rendered fax as sent (PDF or TIFF)',
    params: idParams,
    querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['pdf', 'tiff'], default: 'pdf' }, recipient: { type: 'integer', minimum: 0, default: 0 } } },
    response: { 200: { description: 'The document', content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } }, 'image/tiff': { schema: { type: 'string', contentMediaType: 'image/tiff' } } } }, 404: ERR, 409: ERR },
  },
  page: {
    tags: TAG_FAX,
    summary: 'A page of the rendered fax as a PNG thumbnail',
    params: { type: 'object', required: ['id', 'page'], properties: { id: FAX_ID, page: { type: 'integer', minimum: 1, maximum: 10_000 } } },
    querystring: { type: 'object', additionalProperties: false, properties: { recipient: { type: 'integer', minimum: 0, default: 0 }, dpi: { type: 'integer', minimum: 20, maximum: 204, default: 50 } } },
    response: { 200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } }, 404: ERR, 409: ERR },
  },
  resend: {
    tags: TAG_FAX,
    summary: 'Send the same stored message again, to the same or other numbers',
    params: idParams,
    body: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { numbers: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 3, maxLength: 40 } } } } } } },
    response: { 202: submitted, 400: ERR, 404: ERR, 409: ERR, 422: ERR, 429: ERR, 503: ERR },
  },
  control: (what: string) => ({
    tags: TAG_FAX,
    summary: `${what[0].toUpperCase()}${what.slice(1)} a fax (every open recipient, or one)`,
    params: idParams,
    body: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { recipient: { type: 'integer', minimum: 0 }, reason: { type: 'string', maxLength: 500 } } } } } },
    response: { 200: { type: 'object', additionalProperties: true, properties: { faxId: { type: 'string' }, changed: { type: 'array', items: { type: 'integer' } }, unchanged: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, 404: ERR, 503: ERR },
  }),
  inboundList: {
    tags: ['inbound'],
    summary: 'List received faxes, newest first',
    querystring: listQuery,
    response: { 200: listAnswer('InboundFax'), 400: ERR, 401: ERR, 403: ERR },
  },
  inboundView: {
    tags: ['inbound'],
    summary: 'A received fax with its routing decision, deliveries and timeline',
    params: { type: 'object', required: ['id'], properties: { id: INBOUND_ID } },
    response: { 200: { $ref: 'InboundFax#' }, 404: ERR },
  },
  inboundDocument: {
    tags: ['inbound'],
    summary: 'The received fax (PDF or TIFF)',
    params: { type: 'object', required: ['id'], properties: { id: INBOUND_ID } },
    querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['pdf', 'tiff'], default: 'pdf' } } },
    response: { 200: { description: 'The document', content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } }, 'image/tiff': { schema: { type: 'string', contentMediaType: 'image/tiff' } } } }, 404: ERR },
  },
  inboundPage: {
    tags: ['inbound'],
    summary: 'A page of a received fax as a PNG thumbnail',
    params: { type: 'object', required: ['id', 'page'], properties: { id: INBOUND_ID, page: { type: 'integer', minimum: 1, maximum: 10_000 } } },
    querystring: { type: 'object', additionalProperties: false, properties: { dpi: { type: 'integer', minimum: 20, maximum: 204, default: 50 } } },
    response: { 200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } }, 404: ERR },
  },
  inboundRedeliver: {
    tags: ['inbound'],
    summary: 'Mail a received fax again (admin): to its first delivery\'s addresses, a directory user, or given addresses',
    params: { type: 'object', required: ['id'], properties: { id: INBOUND_ID } },
    body: {
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              user: { type: 'string', maxLength: 100, description: 'A directory user: routes the fax to them by hand.' },
              to: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', format: 'email', maxLength: 254 } },
              format: { type: 'string', enum: ['pdf', 'tiff', 'both'] },
            },
          },
        },
      },
    },
    response: { 202: { type: 'object', additionalProperties: true, properties: { inboundId: { type: 'string' }, delivery: { type: 'integer' }, to: { type: 'array', items: { type: 'string' } } } }, 404: ERR, 409: ERR },
  },
  tokenCreate: {
    tags: ['tokens'],
    summary: 'Create an API token (admin); the answer holds the secret, shown only once',
    body: {
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['user', 'scopes'],
            additionalProperties: false,
            properties: {
              user: { type: 'string', pattern: '^[A-Za-z0-9._@+-]{1,100}$' },
              email: { type: 'string', format: 'email', maxLength: 254, description: 'Result mails of faxes sent with the token go here.' },
              scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['send', 'read-own', 'read-all', 'admin'] } },
              name: { type: 'string', maxLength: 200 },
            },
          },
        },
      },
    },
    response: { 201: { $ref: 'ApiToken#' }, 400: ERR, 403: ERR },
  },
  tokenList: {
    tags: ['tokens'],
    summary: 'List API tokens (admin; never their secrets)',
    response: { 200: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: { $ref: 'ApiToken#' } } } }, 403: ERR },
  },
  tokenRevoke: {
    tags: ['tokens'],
    summary: 'Revoke an API token (admin)',
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9]{16}$' } } },
    response: { 200: { type: 'object', properties: { revoked: { type: 'string' } } }, 403: ERR, 404: ERR },
  },
};
