import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Basic auth (people in a browser) or a bearer token (scripts) for the console's routes. */
export function consoleAuth(opts: { user: string; password: string; token?: string }) {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const wantBasic = digest(`${opts.user}:${opts.password}`);
  const wantToken = opts.token ? digest(opts.token) : undefined;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? '';
    if (h.startsWith('Basic ') && timingSafeEqual(digest(Buffer.from(h.slice(6), 'base64').toString()), wantBasic)) return;
    if (wantToken && h.startsWith('Bearer ') && timingSafeEqual(digest(h.slice(7)), wantToken)) return;
    reply.header('www-authenticate', 'Basic realm="faxgate console"');
    return reply.code(401).send({ error: 'authentication required' });
  };
}
