// Structured header values: SIP URIs (RFC 3261 §19.1), name-addr / addr-spec with parameters
// such as tag (§20.10, §20.20, §20.39), Via with branch, received and rport (§20.42, §18.2.1,
// RFC 3581 §4), and CSeq (§20.16).

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

/** Parses `sip:user@host:port;params` (URI headers after `?` are dropped). */
export function parseUri(s: string): SipUri {
  const m = /^(sips?|tel):(.*)$/i.exec(s.trim());
  if (!m) throw new Error(`not a SIP URI: ${s}`);
  const scheme = m[1].toLowerCase() as SipUri['scheme'];
  let rest = m[2];
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  const [main, ...ps] = rest.split(';');
  const params = parseParams(ps);
  if (scheme === 'tel') return { scheme, user: main, host: '', params };
  const at = main.lastIndexOf('@');
  const user = at >= 0 ? decodeURIComponent(main.slice(0, at).split(':')[0]) : undefined;
  const hostport = at >= 0 ? main.slice(at + 1) : main;
  const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostport);
  if (!hp) throw new Error(`bad host in SIP URI: ${s}`);
  return { scheme, user, host: hp[1], port: hp[2] ? Number(hp[2]) : undefined, params };
}

export function formatUri(u: SipUri): string {
  if (u.scheme === 'tel') return `tel:${u.user}${formatParams(u.params)}`;
  const user = u.user !== undefined ? `${encodeURIComponent(u.user).replace(/%2B/g, '+').replace(/%23/g, '%23')}@` : '';
  return `${u.scheme}:${user}${u.host}${u.port ? `:${u.port}` : ''}${formatParams(u.params)}`;
}

function parseParams(parts: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of parts) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    if (eq < 0) out[t.toLowerCase()] = null;
    else out[t.slice(0, eq).trim().toLowerCase()] = t.slice(eq + 1).trim();
  }
  return out;
}

function formatParams(p: Record<string, string | null>): string {
  return Object.entries(p).map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
}

export interface NameAddr {
  display?: string;
  uri: string;
  /** Header parameters after the URI, e.g. tag, expires. */
  params: Record<string, string | null>;
}

/**
 * Parses name-addr (`"Name" <sip:…>;tag=x`) and addr-spec (`sip:…;tag=x`) forms. In the
 * addr-spec form every parameter belongs to the header, not the URI (§20.10).
 */
export function parseNameAddr(s: string): NameAddr {
  const v = s.trim();
  const lt = findUnquoted(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated <> in ${s}`);
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"') && display.endsWith('"')) display = display.slice(1, -1).replace(/\\(.)/g, '$1');
    const rest = v.slice(gt + 1).trim();
    return { display: display || undefined, uri: v.slice(lt + 1, gt).trim(), params: parseParams(rest.split(';').slice(1)) };
  }
  const [uri, ...ps] = v.split(';');
  return { uri: uri.trim(), params: parseParams(ps) };
}

export function formatNameAddr(n: NameAddr): string {
  const display = n.display ? `"${n.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${display}<${n.uri}>${formatParams(n.params)}`;
}

function findUnquoted(s: string, ch: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    if (quoted) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') quoted = false;
    } else if (s[i] === '"') quoted = true;
    else if (s[i] === ch) return i;
  }
  return -1;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

/** `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport` (§20.42). */
export function parseVia(s: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*(;.*)?$/i.exec(s.trim());
  if (!m) throw new Error(`malformed Via: ${s}`);
  return { transport: m[1].toUpperCase(), host: m[2], port: m[3] ? Number(m[3]) : undefined, params: parseParams((m[4] ?? '').split(';').slice(1)) };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

/** §8.1.1.7: branch ids begin with the RFC 3261 magic cookie. */
export const BRANCH_COOKIE = 'z9hG4bK';

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(s: string): CSeq {
  const m = /^(\d+)\s+(\S+)$/.exec(s.trim());
  if (!m) throw new Error(`malformed CSeq: ${s}`);
  return { seq: Number(m[1]), method: m[2] };
}

/** A random token for tags, branches and Call-IDs (§19.3: at least 32 bits of randomness). */
export function randomToken(bytes = 8): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString('hex');
}
