// RTP fixed header (RFC 3550 §5.1) for G.711 audio: writing our packets and reading any valid
// packet (CSRC list, header extension §5.3.1 and padding skipped).

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** 16 bits, wraps. */
  sequence: number;
  /** 32 bits, wraps; units of the payload's clock (8 kHz for PCMU/PCMA, RFC 3551 §4.5.14). */
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** RFC 3550 §5.1: V=2, P=0, X=0, CC=0, then M|PT, sequence, timestamp, SSRC, payload. */
export function encodeRtp(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(12 + p.payload.length);
  const v = new DataView(out.buffer);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  v.setUint16(2, p.sequence & 0xffff);
  v.setUint32(4, p.timestamp >>> 0);
  v.setUint32(8, p.ssrc >>> 0);
  out.set(p.payload, 12);
  return out;
}

/** Parses a datagram; undefined when it is not an RTP version 2 packet of consistent length. */
export function decodeRtp(b: Uint8Array): RtpPacket | undefined {
  if (b.length < 12 || b[0] >> 6 !== 2) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const cc = b[0] & 0x0f;
  let off = 12 + 4 * cc;
  if (b[0] & 0x10) {
    // §5.3.1: 16-bit profile field, 16-bit length in 32-bit words, then the extension.
    if (b.length < off + 4) return undefined;
    off += 4 + 4 * v.getUint16(off + 2);
  }
  let end = b.length;
  if (b[0] & 0x20) {
    // §5.1 P: the last octet counts the padding octets, itself included.
    const pad = b[b.length - 1];
    if (pad === 0) return undefined;
    end -= pad;
  }
  if (end < off) return undefined;
  return {
    payloadType: b[1] & 0x7f,
    marker: (b[1] & 0x80) !== 0,
    sequence: v.getUint16(2),
    timestamp: v.getUint32(4),
    ssrc: v.getUint32(8),
    payload: b.subarray(off, end),
  };
}

/** Signed distance a − b between two 16-bit sequence numbers (RFC 3550 Appendix A.1 idea). */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** Signed distance a − b between two 32-bit timestamps. */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}
