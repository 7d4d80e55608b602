// SDP (RFC 4566) as a fax endpoint uses it: G.711 audio for call set-up and `m=image … udptl
// t38` with the T.38 attributes of ITU-T T.38 Annex D (SDP names as registered by RFC 7345 §8),
// plus the offer/answer rules (RFC 3264 §6, T.38 Annex D.2.3) for answering a T.38 offer.

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpMedia {
  type: string;
  port: number;
  proto: string;
  formats: string[];
  connection?: SdpConnection;
  /** `a=` lines in order: name and value (null for property attributes). */
  attributes: Array<[string, string | null]>;
}

export interface Sdp {
  origin: { username: string; sessionId: string; version: string; netType: string; addrType: string; address: string };
  sessionName: string;
  connection?: SdpConnection;
  /** Other session-level lines (b=, t=, a=…) kept in order as `x=value`. */
  sessionLines: string[];
  media: SdpMedia[];
}

/** Parses an SDP body (§5: `<type>=<value>` lines; the order v, o, s, … is not enforced). */
export function parseSdp(text: string): Sdp {
  const sdp: Sdp = { origin: { username: '-', sessionId: '0', version: '0', netType: 'IN', addrType: 'IP4', address: '0.0.0.0' }, sessionName: '-', sessionLines: [], media: [] };
  let m: SdpMedia | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (!line) continue;
    if (line[1] !== '=') throw new Error(`malformed SDP line: ${line}`);
    const type = line[0], value = line.slice(2);
    switch (type) {
      case 'v':
        if (value !== '0') throw new Error(`SDP version ${value}`);
        break;
      case 'o': {
        const f = value.split(/\s+/);
        if (f.length !== 6) throw new Error(`malformed o= line: ${value}`);
        sdp.origin = { username: f[0], sessionId: f[1], version: f[2], netType: f[3], addrType: f[4], address: f[5] };
        break;
      }
      case 's':
        sdp.sessionName = value;
        break;
      case 'c': {
        const f = value.split(/\s+/);
        const c = { netType: f[0], addrType: f[1], address: (f[2] ?? '').split('/')[0] };
        if (m) m.connection = c;
        else sdp.connection = c;
        break;
      }
      case 'm': {
        const f = value.split(/\s+/);
        if (f.length < 3) throw new Error(`malformed m= line: ${value}`);
        m = { type: f[0], port: Number(f[1].split('/')[0]), proto: f[2], formats: f.slice(3), attributes: [] };
        sdp.media.push(m);
        break;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const attr: [string, string | null] = colon < 0 ? [value, null] : [value.slice(0, colon), value.slice(colon + 1)];
        if (m) m.attributes.push(attr);
        else sdp.sessionLines.push(line);
        break;
      }
      default:
        if (!m) sdp.sessionLines.push(line);
    }
  }
  return sdp;
}

export function serialiseSdp(s: Sdp): string {
  const o = s.origin;
  const lines = ['v=0', `o=${o.username} ${o.sessionId} ${o.version} ${o.netType} ${o.addrType} ${o.address}`, `s=${s.sessionName}`];
  if (s.connection) lines.push(`c=${s.connection.netType} ${s.connection.addrType} ${s.connection.address}`);
  const rest = [...s.sessionLines];
  if (!rest.some((l) => l.startsWith('t='))) rest.unshift('t=0 0');
  lines.push(...rest);
  for (const m of s.media) {
    lines.push(`m=${m.type} ${m.port} ${m.proto} ${m.formats.join(' ')}`);
    if (m.connection) lines.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
    for (const [k, v] of m.attributes) lines.push(v === null ? `a=${k}` : `a=${k}:${v}`);
  }
  return lines.join('\r\n') + '\r\n';
}

/** T.38 session parameters (T.38 Annex D.2.3, RFC 7345 §8 attribute names). */
export interface T38Params {
  version: number;
  maxBitRate: number;
  rateManagement: 'transferredTCF' | 'localTCF';
  maxBuffer?: number;
  maxDatagram?: number;
  udpEC?: 't38UDPRedundancy' | 't38UDPFEC' | 't38UDPNoEC';
  fillBitRemoval: boolean;
  transcodingMMR: boolean;
  transcodingJBIG: boolean;
}

const BOOLEAN_ATTRS = { t38faxfillbitremoval: 'fillBitRemoval', t38faxtranscodingmmr: 'transcodingMMR', t38faxtranscodingjbig: 'transcodingJBIG' } as const;

/**
 * Reads the T.38 attributes of an `m=image … udptl t38` line. Names compare case-insensitively
 * (deployed gateways vary), booleans may be present-only or `:0`/`:1` (T.38 Annex D note), and
 * absent values take Annex D.2.3's defaults (version 0); an absent rate management is read as
 * transferredTCF, the method T.38 §6.2 recommends over UDP.
 */
export function t38Params(m: SdpMedia): T38Params {
  const p: T38Params = { version: 0, maxBitRate: 14400, rateManagement: 'transferredTCF', fillBitRemoval: false, transcodingMMR: false, transcodingJBIG: false };
  for (const [k, v] of m.attributes) {
    const key = k.toLowerCase();
    const num = v === null ? NaN : Number(v.trim());
    if (key === 't38faxversion' && Number.isInteger(num)) p.version = num;
    else if ((key === 't38maxbitrate' || key === 't38faxmaxbitrate') && Number.isInteger(num)) p.maxBitRate = num;
    else if (key === 't38faxratemanagement' && v) p.rateManagement = v.trim().toLowerCase() === 'localtcf' ? 'localTCF' : 'transferredTCF';
    else if (key === 't38faxmaxbuffer' && Number.isInteger(num)) p.maxBuffer = num;
    else if (key === 't38faxmaxdatagram' && Number.isInteger(num)) p.maxDatagram = num;
    else if (key === 't38faxudpec' && v) {
      const ec = v.trim().toLowerCase();
      p.udpEC = ec === 't38udpfec' ? 't38UDPFEC' : ec === 't38udpredundancy' ? 't38UDPRedundancy' : 't38UDPNoEC';
    } else if (key in BOOLEAN_ATTRS) p[BOOLEAN_ATTRS[key as keyof typeof BOOLEAN_ATTRS]] = v === null || v.trim() !== '0';
  }
  return p;
}

/** The `a=` lines for T.38 parameters, in the order T.38 Annex D lists them. */
export function t38Attributes(p: T38Params): Array<[string, string | null]> {
  const a: Array<[string, string | null]> = [
    ['T38FaxVersion', String(p.version)],
    ['T38MaxBitRate', String(p.maxBitRate)],
  ];
  if (p.fillBitRemoval) a.push(['T38FaxFillBitRemoval', null]);
  if (p.transcodingMMR) a.push(['T38FaxTranscodingMMR', null]);
  if (p.transcodingJBIG) a.push(['T38FaxTranscodingJBIG', null]);
  a.push(['T38FaxRateManagement', p.rateManagement]);
  if (p.maxBuffer !== undefined) a.push(['T38FaxMaxBuffer', String(p.maxBuffer)]);
  if (p.maxDatagram !== undefined) a.push(['T38FaxMaxDatagram', String(p.maxDatagram)]);
  if (p.udpEC !== undefined) a.push(['T38FaxUdpEC', p.udpEC]);
  return a;
}

/** What this endpoint can do: its receive buffer and datagram size, and the most it supports. */
export interface T38Capability {
  version: number;
  maxBitRate: number;
  maxBuffer: number;
  maxDatagram: number;
  /** Error correction this side sends (faxgate sends the redundancy form, T.38 §9.1). */
  udpEC: 't38UDPRedundancy' | 't38UDPNoEC';
  rateManagement: Array<T38Params['rateManagement']>;
}

export const FAXGATE_T38: T38Capability = { version: 0, maxBitRate: 14400, maxBuffer: 2000, maxDatagram: 400, udpEC: 't38UDPRedundancy', rateManagement: ['transferredTCF', 'localTCF'] };

/**
 * Answers a T.38 offer (T.38 Annex D.2.3, RFC 3264 §6): version and bit rate are negotiated
 * down to what both support; rate management must echo the offer (else the offer is not
 * acceptable: undefined); buffer and datagram sizes are declarative (our own receive limits);
 * error correction falls back from FEC to redundancy, and stays off when the offer had none;
 * the transcoding and fill-bit options are answered only if supported, and faxgate supports
 * none of them.
 */
export function answerT38(offer: T38Params, cap: T38Capability = FAXGATE_T38): T38Params | undefined {
  if (!cap.rateManagement.includes(offer.rateManagement)) return undefined;
  return {
    version: Math.min(offer.version, cap.version),
    maxBitRate: Math.min(offer.maxBitRate, cap.maxBitRate),
    rateManagement: offer.rateManagement,
    maxBuffer: cap.maxBuffer,
    maxDatagram: cap.maxDatagram,
    udpEC: offer.udpEC === undefined || offer.udpEC === 't38UDPNoEC' ? offer.udpEC : cap.udpEC,
    fillBitRemoval: false,
    transcodingMMR: false,
    transcodingJBIG: false,
  };
}

/** T.38 parameters for our own offer (switching a call to T.38). */
export function offerT38(cap: T38Capability = FAXGATE_T38): T38Params {
  return { version: cap.version, maxBitRate: cap.maxBitRate, rateManagement: 'transferredTCF', maxBuffer: cap.maxBuffer, maxDatagram: cap.maxDatagram, udpEC: cap.udpEC, fillBitRemoval: false, transcodingMMR: false, transcodingJBIG: false };
}

/** The media section of an accepted T.38 stream. */
export function imageMedia(port: number, p: T38Params): SdpMedia {
  return { type: 'image', port, proto: 'udptl', formats: ['t38'], attributes: t38Attributes(p) };
}

/** G.711 µ-law and A-law with RFC 4733 events: what a fax endpoint offers before T.38. */
export function audioMedia(port: number, formats: string[] = ['0', '8', '101']): SdpMedia {
  const rtpmap: Record<string, string> = { '0': 'PCMU/8000', '8': 'PCMA/8000', '101': 'telephone-event/8000' };
  const attributes: Array<[string, string | null]> = formats.map((f) => ['rtpmap', `${f} ${rtpmap[f]}`] as [string, string]);
  if (formats.includes('101')) attributes.push(['fmtp', '101 0-16']);
  attributes.push(['ptime', '20'], ['sendrecv', null]);
  return { type: 'audio', port, proto: 'RTP/AVP', formats, attributes };
}

/** Where a media stream's packets go: its own c= line or the session's (RFC 4566 §5.7). */
export function mediaAddress(s: Sdp, m: SdpMedia): { host: string; port: number } {
  return { host: (m.connection ?? s.connection)?.address ?? s.origin.address, port: m.port };
}

/** The accepted T.38 stream of an SDP, if it has one (an image/udptl/t38 line with a port). */
export function t38Stream(s: Sdp): { media: SdpMedia; params: T38Params; host: string; port: number } | undefined {
  const m = s.media.find((x) => x.type === 'image' && x.port !== 0 && x.proto.toLowerCase() === 'udptl' && x.formats.some((f) => f.toLowerCase() === 't38'));
  if (!m) return undefined;
  return { media: m, params: t38Params(m), ...mediaAddress(s, m) };
}

/**
 * Our answer to a remote offer (RFC 3264 §6: one m= line per offered one, declined streams with
 * port 0). A T.38 stream wins over audio: the image line is accepted and every other line is
 * declined; otherwise the first audio line is accepted with the first of PCMU/PCMA it lists.
 * `accept.t38: false` (a pool that faxes over audio only) declines the image line like any
 * other. Undefined when nothing is acceptable (the caller answers 488).
 */
export function answerOffer(offer: Sdp, local: { address: string; audioPort: number; imagePort: number; sessionId: string; version: number }, cap: T38Capability = FAXGATE_T38, accept: { t38: boolean } = { t38: true }): { sdp: Sdp; t38?: T38Params } | undefined {
  const image = accept.t38 ? offer.media.findIndex((m) => m.type === 'image' && m.port !== 0 && m.proto.toLowerCase() === 'udptl' && m.formats.some((f) => f.toLowerCase() === 't38')) : -1;
  let t38: T38Params | undefined;
  if (image >= 0) t38 = answerT38(t38Params(offer.media[image]), cap);
  const audio = t38 ? -1 : offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0 && m.proto.toUpperCase() === 'RTP/AVP' && m.formats.some((f) => f === '0' || f === '8'));
  if (!t38 && audio < 0) return undefined;
  const media = offer.media.map((m, i): SdpMedia => {
    if (t38 && i === image) return imageMedia(local.imagePort, t38);
    if (i === audio) {
      const codec = m.formats.find((f) => f === '0' || f === '8') as string;
      return audioMedia(local.audioPort, m.formats.includes('101') ? [codec, '101'] : [codec]);
    }
    return { type: m.type, port: 0, proto: m.proto, formats: m.formats, attributes: [] };
  });
  return { sdp: session(local.address, local.sessionId, local.version, media), t38 };
}

/** The two G.711 laws by their RTP/AVP static payload types (RFC 3551 §6: 0 PCMU, 8 PCMA). */
export type G711Codec = 'ulaw' | 'alaw';

/**
 * The G.711 audio stream of an SDP: the first `m=audio … RTP/AVP` line with a port that lists
 * PCMU or PCMA; the law is the first of the two it lists (RFC 3264 §6.1: an answer's first
 * format is the one the answerer will send).
 */
export function audioStream(s: Sdp): { host: string; port: number; law: G711Codec } | undefined {
  const m = s.media.find((x) => x.type === 'audio' && x.port !== 0 && x.proto.toUpperCase() === 'RTP/AVP' && x.formats.some((f) => f === '0' || f === '8'));
  if (!m) return undefined;
  const law: G711Codec = m.formats.find((f) => f === '0' || f === '8') === '8' ? 'alaw' : 'ulaw';
  return { ...mediaAddress(s, m), law };
}

/** A whole SDP body for our side. */
export function session(address: string, sessionId: string, version: number, media: SdpMedia[]): Sdp {
  const addrType = address.includes(':') ? 'IP6' : 'IP4';
  return { origin: { username: 'faxgate', sessionId, version: String(version), netType: 'IN', addrType, address }, sessionName: 'faxgate', connection: { netType: 'IN', addrType, address }, sessionLines: ['t=0 0'], media };
}
