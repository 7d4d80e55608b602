import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FaxgateError } from '@faxgate/errors';
import type { AcceptedRecipient } from '@faxgate/intake';
import { IdempotencyKeys } from './idempotency.ts';
import { requireScope, type Principal } from './principal.ts';
import { routeSchemas } from './schemas.ts';
import {
  MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, SubmissionError, admitDestinations, checkSubmission, submissionFingerprint, submitFax,
  type SubmitDeps, type Submission, type SubmittedDocument,
} from './fax-submission.ts';

/** JSON bodies carry the documents in base64 (4/3 of their size) and the cover text. */
const JSON_BODY_LIMIT = Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/_\-=\s]*$/;

interface JsonSubmission {
  numbers: string[];
  documents?: Array<{ filename: string; content_type?: string; content_base64: string }>;
  to_name?: string;
  to_company?: string;
  subject?: string;
  message?: string;
  cover?: string;
  priority?: Submission['priority'];
  send_at?: string;
}

/** POST /api/v1/faxes: a fax from JSON or multipart, through the same intake as mail. */
export function registerFaxSubmitRoutes(app: FastifyInstance, deps: SubmitDeps & { idempotency: IdempotencyKeys }) {
  app.post('/api/v1/faxes', { schema: routeSchemas.submit, bodyLimit: JSON_BODY_LIMIT, preHandler: requireScope('send') }, async (req, reply) => {
    let s: Submission;
    try {
      s = req.isMultipart() ? await readMultipart(req) : fromJson(req.body as JsonSubmission);
    } catch (err) {
      if (err instanceof SubmissionError) return problem(reply, err);
      const e = err as { statusCode?: number; message: string };
      if (e.statusCode === 413) return reply.code(413).send({ error: `too large: ${e.message}` });
      throw err;
    }
    return submit(req, reply, s, deps);
  });
}

/** POST /faxes: the dial rules, then the intake under the idempotency key. */
async function submit(req: FastifyRequest, reply: FastifyReply, s: Submission, deps: SubmitDeps & { idempotency: IdempotencyKeys }) {
  const who = req.principal as Principal;
  let recipients: AcceptedRecipient[];
  try {
    recipients = checkSubmission(s, deps);
  } catch (err) {
    if (err instanceof SubmissionError) return problem(reply, err);
    throw err;
  }
  return idempotent(req, reply, deps.idempotency, `submit:${submissionFingerprint(s)}`, async () => {
    await admitDestinations(recipients, who.email ?? who.user, deps.destinations);
    const id = await submitFax(s, recipients, { ...who, clientAddress: req.ip }, deps);
    req.log.info({ faxId: id, user: who.user, token: who.tokenId, recipients: recipients.length }, 'fax submitted through the API');
    return queuedAnswer(id, recipients);
  });
}

/** The 202 answer for a fax taken in. */
export function queuedAnswer(id: string, recipients: AcceptedRecipient[]) {
  return { id, state: 'queued', numbers: recipients.map((r) => r.number), status_url: `/api/v1/faxes/${id}` };
}

/**
 * Runs `take` (which stores a fax) at most once per `Idempotency-Key` of the user: a retry gets
 * the first answer (`Idempotent-Replayed: true`), or 409 while the first still runs. Without a
 * key, `take` just runs. A failure of the intake releases the key (nothing was stored) and is
 * 503: the client may retry.
 */
export async function idempotent(req: FastifyRequest, reply: FastifyReply, keys: IdempotencyKeys, fingerprint: string, take: () => Promise<ReturnType<typeof queuedAnswer>>) {
  const who = req.principal as Principal;
  const key = req.headers['idempotency-key'];
  let claimKey: string | undefined;
  if (typeof key === 'string' && key.length > 0) {
    const claim = await keys.claim(who.user, key, fingerprint);
    if (claim.kind === 'replay') return reply.code(claim.status).header('idempotent-replayed', 'true').send(claim.body);
    if (claim.kind === 'in-progress') return reply.code(409).send({ error: 'a request with this Idempotency-Key is still being processed; retry shortly' });
    if (claim.kind === 'mismatch') return reply.code(422).send({ error: 'this Idempotency-Key was used for a different request' });
    claimKey = claim.key;
  }
  let body: ReturnType<typeof queuedAnswer>;
  try {
    body = await take();
  } catch (err) {
    if (claimKey) await keys.release(claimKey).catch(() => {});
    if (err instanceof SubmissionError) return problem(reply, err);
    if (err instanceof FaxgateError) return reply.code(503).send({ error: err.message });
    throw err;
  }
  if (claimKey) await keys.complete(claimKey, fingerprint, 202, body);
  return reply.code(202).header('location', body.status_url).send(body);
}

export function problem(reply: FastifyReply, err: SubmissionError) {
  return reply.code(err.status).send({ error: err.message, problems: err.problems });
}

function fromJson(b: JsonSubmission): Submission {
  const bad: SubmissionError['problems'] = [];
  const documents: SubmittedDocument[] = (b.documents ?? []).map((d, i) => {
    if (!BASE64.test(d.content_base64)) bad.push({ field: `documents[${i}].content_base64`, problem: 'not base64' });
    return { filename: d.filename, contentType: d.content_type, content: Buffer.from(d.content_base64, 'base64') };
  });
  if (bad.length) throw new SubmissionError(400, bad);
  return {
    numbers: b.numbers,
    documents,
    toName: b.to_name,
    toCompany: b.to_company,
    subject: b.subject,
    message: b.message,
    cover: b.cover,
    priority: b.priority,
    sendAt: b.send_at,
  };
}

const FIELDS = new Set(['numbers', 'number', 'to_name', 'to_company', 'subject', 'message', 'cover', 'priority', 'send_at']);

/** A multipart form: file parts are the documents (read into memory within the limits), fields as in JSON. */
async function readMultipart(req: FastifyRequest): Promise<Submission> {
  const fields: Record<string, string> = {};
  const numbers: string[] = [];
  const documents: SubmittedDocument[] = [];
  const bad: SubmissionError['problems'] = [];
  let total = 0;
  for await (const part of req.parts({ limits: { fileSize: MAX_DOCUMENT_BYTES, files: MAX_DOCUMENTS, fields: 300, fieldSize: 200_000 } })) {
    if (part.type === 'file') {
      const content = await part.toBuffer();
      // The total is bounded as the parts arrive, not after all of them are held in memory.
      total += content.length;
      if (total > MAX_DOCUMENT_BYTES) throw Object.assign(new Error(`the documents pass ${MAX_DOCUMENT_BYTES} bytes together`), { statusCode: 413 });
      documents.push({ filename: part.filename || `document-${documents.length + 1}`, contentType: part.mimetype && part.mimetype !== 'application/octet-stream' ? part.mimetype : undefined, content });
      continue;
    }
    const value = String(part.value ?? '');
    if (!FIELDS.has(part.fieldname)) {
      bad.push({ field: part.fieldname, problem: 'unknown field' });
      continue;
    }
    if (part.fieldname === 'numbers' || part.fieldname === 'number') numbers.push(...value.split(',').map((n) => n.trim()).filter(Boolean));
    else fields[part.fieldname] = value;
  }
  if (bad.length) throw new SubmissionError(400, bad);
  return {
    numbers,
    documents,
    toName: fields.to_name,
    toCompany: fields.to_company,
    subject: fields.subject,
    message: fields.message,
    cover: fields.cover,
    priority: fields.priority as Submission['priority'],
    sendAt: fields.send_at,
  };
}
