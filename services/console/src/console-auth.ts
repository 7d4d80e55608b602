import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientKey, type AuthThrottle } from '@faxgate/runtime';
import type { Principal } from './api/principal.ts';

/**
 * Basic auth (people in a browser), the console token or an API token (scripts) for the
 * console's routes. It sets `req.principal`: the console user with the admin scope, or the API
 * token's user and scopes (routes check the scope they need). Wrong credentials go through the
 * password throttle: each failure from an address is answered later than the one before, and
 * too many lock the address out (429 with Retry-After).
 */
export function consoleAuth(opts: { user: string; password: string; token?: string; throttle: AuthThrottle; apiToken?: (bearer: string) => Promise<Principal | undefined> }) {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const wantBasic = digest(`${opts.user}:${opts.password}`);
  const wantToken = opts.token ? digest(opts.token) : undefined;
  const admin: Principal = { user: opts.user, scopes: ['admin'] };
  const { throttle } = opts;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? '';
    const client = clientKey(req.ip);
    const presented = h.startsWith('Basic ') || h.startsWith('Bearer ');
    if (presented) {
      const locked = throttle.lockedFor(client);
      if (locked > 0) {
        reply.header('retry-after', String(Math.ceil(locked / 1000)));
        return reply.code(429).send({ error: 'too many failed authentication attempts; try again later' });
      }
      if (h.startsWith('Basic ') && timingSafeEqual(digest(Buffer.from(h.slice(6), 'base64').toString()), wantBasic)) {
        req.principal = admin;
        return void throttle.succeed(client);
      }
      if (h.startsWith('Bearer ')) {
        const bearer = h.slice(7).trim();
        if (wantToken && timingSafeEqual(digest(bearer), wantToken)) {
          req.principal = admin;
          return void throttle.succeed(client);
        }
        let found: Principal | undefined;
        try {
          found = await opts.apiToken?.(bearer);
        } catch (err) {
          return reply.code(503).send({ error: `tokens cannot be checked now: ${(err as Error).message}` });
        }
        if (found) {
          req.principal = found;
          return void throttle.succeed(client);
        }
      }
      throttle.fail(client);
      await new Promise((r) => setTimeout(r, throttle.delayFor(client)));
    }
    reply.header('www-authenticate', 'Basic realm="faxgate console"');
    return reply.code(401).send({ error: 'authentication required' });
  };
}
