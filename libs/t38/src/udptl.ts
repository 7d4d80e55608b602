// T.38 §9.1 and Annex A: UDPTLPacket, the UDP framing of IFP packets.
import { PerReader, PerWriter, PerError } from './per.ts';

export interface UdptlPacket {
  seq: number;
  primary: Uint8Array;
  /** Redundancy form: earlier IFPs, most recent first (seq-1, seq-2, …). */
  secondary?: Uint8Array[];
  /** Parity-FEC form: accepted on receive, its primary used; the parity itself is not applied. */
  fec?: { npackets: number; data: Uint8Array[] };
}

/** Encodes a UDPTL packet in aligned PER; without `fec` it uses the redundancy form. */
export function encodeUdptl(p: UdptlPacket): Uint8Array {
  // seq, length and IFP, the form bit's octet and the count, each IFP with a two-octet length
  let size = 6 + p.primary.length;
  for (const s of p.secondary ?? []) size += 2 + s.length;
  const w = new PerWriter(size);
  // seq-number INTEGER (0..65535): X.691 §10.5.7.3, two aligned octets
  w.bits(p.seq & 0xffff, 16);
  // primary-ifp-packet is an open type: length determinant and the IFP's own encoding
  w.lengthAndOctets(p.primary);
  if (p.fec) {
    w.bits(1, 1);
    // fec-npackets INTEGER, unconstrained: X.691 §12.2.6, length then two's-complement octets
    const n = p.fec.npackets;
    const octs = n < 0x80 ? [n] : n < 0x8000 ? [n >> 8, n & 0xff] : [0, n >> 8, n & 0xff];
    w.lengthAndOctets(Uint8Array.from(octs));
    w.length(p.fec.data.length);
    for (const d of p.fec.data) w.lengthAndOctets(d);
  } else {
    w.bits(0, 1);
    const sec = p.secondary ?? [];
    w.length(sec.length);
    for (const s of sec) w.lengthAndOctets(s);
  }
  return w.finish();
}

/** Decodes a UDPTL packet; throws PerError on malformed input. */
export function decodeUdptl(data: Uint8Array): UdptlPacket {
  const r = new PerReader(data);
  const seq = r.bits(16);
  const primary = r.lengthAndOctets();
  if (primary.length === 0) throw new PerError('UDPTL packet with an empty primary IFP');
  const isFec = r.bits(1) === 1;
  if (!isFec) {
    const count = r.length();
    const secondary: Uint8Array[] = [];
    for (let i = 0; i < count; i++) secondary.push(r.lengthAndOctets());
    return { seq, primary, secondary };
  }
  const nOcts = r.lengthAndOctets();
  let npackets = 0;
  for (const b of nOcts) npackets = npackets * 256 + b;
  const count = r.length();
  const fecData: Uint8Array[] = [];
  for (let i = 0; i < count; i++) fecData.push(r.lengthAndOctets());
  return { seq, primary, fec: { npackets, data: fecData } };
}
