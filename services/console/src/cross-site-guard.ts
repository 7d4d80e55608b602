import type { FastifyReply, FastifyRequest } from 'fastify';

/** The content types a cross-site HTML form (or a fetch without CORS preflight) can send. */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses cross-site requests that change state. A browser re-sends cached basic-auth
 * credentials with any request to the console, also one a foreign page makes it send (a
 * `text/plain` POST drained a node): such a request is told apart by the Fetch Metadata
 * header `Sec-Fetch-Site` (anything but same-origin or none), by an `Origin` that is not the
 * console's own, or — from a browser too old for either — by a body type a form can send
 * without a CORS preflight (WHATWG Fetch, "CORS-safelisted request-header"). Scripts (curl, the
 * CLI) send none of these headers and a JSON body or none, or a bearer token, and pass.
 */
export async function crossSiteGuard(req: FastifyRequest, reply: FastifyReply) {
  if (SAFE_METHODS.has(req.method)) return;
  const problem = crossSiteProblem(req.headers as Record<string, string | undefined>);
  if (problem) return reply.code(403).send({ error: `cross-site request refused: ${problem}` });
}

export function crossSiteProblem(h: Record<string, string | undefined>): string | undefined {
  // A browser never adds an Authorization: Bearer header on its own, and a foreign page's script
  // can only add one after a CORS preflight, which the console does not allow: a request with
  // a bearer token comes from a program that holds it (curl -F, the CLI), form body or not.
  if ((h.authorization ?? '').startsWith('Bearer ')) return undefined;
  const site = h['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = h.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== h.host) return `Origin ${origin} is not this console`;
  }
  // A browser that says where the request comes from has been checked above.
  if (site !== undefined || origin !== undefined) return undefined;
  const type = (h['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (FORM_TYPES.includes(type)) return `a ${type} body (send application/json)`;
  return undefined;
}
