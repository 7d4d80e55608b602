// SIP message codec (RFC 3261 §7 message format, §20 header fields, §25 ABNF). Messages are
// plain data: a start line, an ordered list of header fields (one value per entry, so a
// comma-separated list header arrives as several entries) and a text body. Content-Length is
// not kept as a header: it is derived from the body on the way out and used for framing on
// the way in.

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: Header[];
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: Header[];
  body: string;
}

export type SipMessage = SipRequest | SipResponse;
export type Header = [name: string, value: string];

export class SipParseError extends Error {}

/** RFC 3261 §7.3.3 compact forms (and later RFCs' ones: RFC 3265 o/u, RFC 4028 x, RFC 3515 r). */
const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From', s: 'Subject',
  k: 'Supported', t: 'To', v: 'Via', o: 'Event', u: 'Allow-Events', r: 'Refer-To', b: 'Referred-By', x: 'Session-Expires',
  a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition', y: 'Identity', n: 'Identity-Info',
};

/** Spellings used when serialising; header names compare case-insensitively (§7.3.1). */
const CANONICAL = new Map(
  [
    'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events', 'Authentication-Info', 'Authorization',
    'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type',
    'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'From', 'In-Reply-To', 'Max-Forwards', 'Min-Expires', 'Min-SE', 'MIME-Version',
    'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization',
    'Proxy-Require', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Remote-Party-ID', 'Reply-To', 'Require', 'Retry-After', 'Route', 'RSeq',
    'Server', 'Session-Expires', 'Subject', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning',
    'WWW-Authenticate', 'Path', 'Diversion',
  ].map((n) => [n.toLowerCase(), n]),
);

/**
 * Headers whose value is a comma-separated list that may be split into entries (§7.3.1: only
 * headers whose grammar is `#(values)`); the authentication headers are not, their parameters
 * are separated by commas too.
 */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require', 'unsupported', 'accept',
  'accept-encoding', 'accept-language', 'allow-events', 'content-encoding', 'content-language', 'in-reply-to', 'p-asserted-identity',
  'path', 'reason', 'call-info', 'alert-info', 'error-info', 'warning',
]);

/** The full, canonical spelling of a header name (compact forms expanded). */
export function headerName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1 && COMPACT[lower]) return COMPACT[lower];
  return CANONICAL.get(lower) ?? name;
}

/** Splits a header value at commas that are outside quotes and angle brackets (§7.3.1). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0, quoted = false, start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v !== '');
}

/** The first value of a header, or undefined. */
export function header(msg: { headers: Header[] }, name: string): string | undefined {
  const n = headerName(name).toLowerCase();
  return msg.headers.find(([h]) => h.toLowerCase() === n)?.[1];
}

/** Every value of a header, in order. */
export function headers(msg: { headers: Header[] }, name: string): string[] {
  const n = headerName(name).toLowerCase();
  return msg.headers.filter(([h]) => h.toLowerCase() === n).map(([, v]) => v);
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/**
 * Parses one message from a datagram or a framed stream chunk (§7). Header folding (a line
 * starting with SP or HT continues the previous one, §7.3.1) is undone, compact names are
 * expanded, list headers split into one entry per value. With a Content-Length the body is cut
 * to it (§18.3: on UDP anything beyond is discarded); without one the rest is the body.
 */
export function parseMessage(data: Uint8Array | string): SipMessage {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let start = 0;
  // §7.5: empty lines before the start line are ignored.
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  const end = headerEnd(buf, start);
  if (end < 0) throw new SipParseError('no empty line after the header fields');
  const head = buf.subarray(start, end.valueOf()).toString('utf8');
  const bodyStart = end + (buf[end] === 0x0d ? 4 : 2);
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() as string;
  const unfolded: string[] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && unfolded.length) unfolded[unfolded.length - 1] += ' ' + line.trim();
    else unfolded.push(line);
  }
  const hs: Header[] = [];
  let contentLength: number | undefined;
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line: ${JSON.stringify(line)}`);
    const raw = line.slice(0, colon).trim();
    if (!TOKEN.test(raw)) throw new SipParseError(`malformed header name: ${JSON.stringify(raw)}`);
    const name = headerName(raw);
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      if (!/^\d+$/.test(value)) throw new SipParseError(`bad Content-Length: ${value}`);
      contentLength = Number(value);
      continue;
    }
    if (LIST_HEADERS.has(lower) && !(lower === 'contact' && value === '*')) for (const v of splitList(value)) hs.push([name, v]);
    else hs.push([name, value]);
  }
  const available = buf.length - bodyStart;
  if (contentLength !== undefined && contentLength > available) throw new SipParseError(`body shorter than Content-Length ${contentLength}`);
  const body = buf.subarray(bodyStart, bodyStart + (contentLength ?? available)).toString('utf8');
  // §7.1 / §7.2 start lines
  const resp = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(startLine);
  if (resp) return { kind: 'response', status: Number(resp[1]), reason: resp[2], headers: hs, body };
  const req = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(startLine);
  if (!req) throw new SipParseError(`malformed start line: ${JSON.stringify(startLine)}`);
  return { kind: 'request', method: req[1], uri: req[2], headers: hs, body };
}

function headerEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length - 1; i++) {
    if (buf[i] === 0x0a && buf[i + 1] === 0x0a) return i;
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) return i;
  }
  return -1;
}

/** Serialises a message with CRLF line ends and a Content-Length that counts the body's octets. */
export function serialise(msg: SipMessage): Buffer {
  const first = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [first];
  for (const [name, value] of msg.headers) if (name.toLowerCase() !== 'content-length') lines.push(`${headerName(name)}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(msg.body, 'utf8')}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + msg.body, 'utf8');
}

/**
 * Frames messages on a stream transport (§18.3): each message ends after the empty line plus
 * Content-Length octets, which is mandatory on streams. CRLF keep-alives (RFC 5626 §3.5.1)
 * between messages are skipped.
 */
export class StreamFramer {
  private buf = Buffer.alloc(0);

  /** Feeds received bytes; returns the complete messages now available. */
  push(chunk: Uint8Array): SipMessage[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: SipMessage[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0d || this.buf[start] === 0x0a)) start++;
      if (start) this.buf = this.buf.subarray(start);
      const end = headerEnd(this.buf, 0);
      if (end < 0) {
        if (this.buf.length > 65536) throw new SipParseError('header section longer than 64 KiB');
        return out;
      }
      const bodyStart = end + (this.buf[end] === 0x0d ? 4 : 2);
      const m = /(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(this.buf.subarray(0, end).toString('utf8'));
      if (!m) throw new SipParseError('a message on a stream transport has no Content-Length (RFC 3261 §18.3)');
      const total = bodyStart + Number(m[1]);
      if (this.buf.length < total) return out;
      out.push(parseMessage(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
    }
  }
}
