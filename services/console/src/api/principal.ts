import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from './api-tokens.ts';

/** Who is asking: the console's admin (basic auth, FAXGATE_CONSOLE_TOKEN) or an API token's user. */
export interface Principal {
  user: string;
  scopes: readonly Scope[];
  /** The API token used, when one was. */
  tokenId?: string;
  /** Where result mails of faxes this principal sends go. */
  email?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function hasScope(p: Principal | undefined, scope: Scope): boolean {
  return !!p && (p.scopes.includes('admin') || p.scopes.includes(scope));
}

/** Sees every fax (not only its own). */
export function readsAll(p: Principal | undefined): boolean {
  return hasScope(p, 'read-all');
}

/** May see a fax whose record names `owner` (the fax's authUser, a received fax's user). */
export function maySee(p: Principal | undefined, owner: string | undefined): boolean {
  if (readsAll(p)) return true;
  return !!p && owner !== undefined && owner === p.user && (p.scopes.includes('read-own') || p.scopes.includes('send'));
}

/** A route's scope check: answers 403 naming the scope when the principal lacks it. */
export function requireScope(...scopes: Scope[]) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (scopes.some((s) => hasScope(req.principal, s))) return;
    return reply.code(403).send({ error: `this token lacks the scope ${scopes.join(' or ')}` });
  };
}
