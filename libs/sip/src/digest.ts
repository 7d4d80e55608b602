// Digest authentication for SIP (RFC 3261 §22.4, RFC 7616 §3.4 for SHA-256 and the
// response computation, RFC 8760 for its use in SIP). A 401 carries WWW-Authenticate and is
// answered with Authorization; a 407 carries Proxy-Authenticate and is answered with
// Proxy-Authorization (§22.3).
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: 'MD5' | 'SHA-256' | 'MD5-sess' | 'SHA-256-sess';
  qop: string[];
  stale: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Parses `Digest realm="…", nonce="…", qop="auth,auth-int", algorithm=SHA-256`. */
export function parseChallenge(value: string): DigestChallenge {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (!m) throw new Error(`not a Digest challenge: ${value}`);
  const p = parseAuthParams(m[1]);
  if (p.realm === undefined || p.nonce === undefined) throw new Error('Digest challenge without realm or nonce');
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  const known: Record<string, DigestChallenge['algorithm']> = { MD5: 'MD5', 'SHA-256': 'SHA-256', 'MD5-SESS': 'MD5-sess', 'SHA-256-SESS': 'SHA-256-sess' };
  if (!known[algorithm]) throw new Error(`unsupported Digest algorithm ${p.algorithm}`);
  return {
    realm: p.realm,
    nonce: p.nonce,
    opaque: p.opaque,
    algorithm: known[algorithm],
    qop: p.qop ? p.qop.split(',').map((q) => q.trim().toLowerCase()).filter(Boolean) : [],
    stale: (p.stale ?? '').toLowerCase() === 'true',
  };
}

/** auth-param list: `name=token` or `name="quoted"`, comma separated (RFC 7235 §2.1). */
export function parseAuthParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) && m[0] !== '') out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return out;
}

export interface DigestRequest {
  method: string;
  uri: string;
  /** Body for qop=auth-int; not offered by this client (auth is enough for SIP trunks). */
  cnonce?: string;
  nc?: number;
}

function hash(alg: DigestChallenge['algorithm'], s: string): string {
  return createHash(alg.startsWith('SHA-256') ? 'sha256' : 'md5').update(s, 'utf8').digest('hex');
}

/**
 * The `response` value (RFC 7616 §3.4.1): with qop=auth,
 * KD(H(A1), nonce:nc:cnonce:qop:H(A2)); without qop (RFC 2069 compatibility, RFC 3261 §22.4)
 * KD(H(A1), nonce:H(A2)). A1 = user:realm:password (§3.4.2, "-sess" adds :nonce:cnonce), and
 * A2 = method:uri (§3.4.3).
 */
export function digestResponse(c: DigestChallenge, cred: Credentials, req: Required<Pick<DigestRequest, 'method' | 'uri'>> & { cnonce: string; nc: number; qop?: string }): string {
  let ha1 = hash(c.algorithm, `${cred.username}:${c.realm}:${cred.password}`);
  if (c.algorithm.endsWith('-sess')) ha1 = hash(c.algorithm, `${ha1}:${c.nonce}:${req.cnonce}`);
  const ha2 = hash(c.algorithm, `${req.method}:${req.uri}`);
  if (!req.qop) return hash(c.algorithm, `${ha1}:${c.nonce}:${ha2}`);
  const nc = req.nc.toString(16).padStart(8, '0');
  return hash(c.algorithm, `${ha1}:${c.nonce}:${nc}:${req.cnonce}:${req.qop}:${ha2}`);
}

/**
 * The Authorization / Proxy-Authorization value answering `c` (§22.4). qop=auth is chosen
 * when the server offers it; auth-int alone is not supported and falls back to no qop only
 * when the server sent no qop at all.
 */
export function authorize(c: DigestChallenge, cred: Credentials, req: DigestRequest): string {
  if (c.qop.length && !c.qop.includes('auth')) throw new Error(`the server offers only qop=${c.qop.join(',')}`);
  const qop = c.qop.includes('auth') ? 'auth' : undefined;
  const cnonce = req.cnonce ?? randomBytes(12).toString('hex');
  const nc = req.nc ?? 1;
  const response = digestResponse(c, cred, { method: req.method, uri: req.uri, cnonce, nc, qop });
  const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [`username=${q(cred.username)}`, `realm=${q(c.realm)}`, `nonce=${q(c.nonce)}`, `uri=${q(req.uri)}`, `response=${q(response)}`, `algorithm=${c.algorithm}`];
  if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc.toString(16).padStart(8, '0')}`, `cnonce=${q(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}
