// T.30 Table 2: the DIS/DTC and DCS information fields, built and parsed bit by bit.
// Bit n of the table is bit (n-1)%8 (least significant first) of FIF octet (n-1)/8,
// because HDLC sends each octet least significant bit first and the table numbers bits
// in transmission order.
import type { Modem, Modulation } from './modulation.ts';

export type Resolution = 'standard' | 'fine' | 'superfine';
export type Encoding = 'mh' | 'mr' | 'mmr';
export type PageWidth = 'A4' | 'B4' | 'A3';
export type PageLength = 'A4' | 'B4' | 'unlimited';

/** What a DIS or DTC offers. */
export interface Capabilities {
  readyToReceive: boolean;
  modems: Modem[];
  resolutions: Resolution[];
  encodings: Encoding[];
  widths: PageWidth[];
  lengths: PageLength[];
  /** Minimum scan line time in ms at standard/fine resolution (bits 21–23). */
  minScanLineMs: number;
  ecm: boolean;
  /** Bit 7 in DIS: 64-octet ECM frames preferred. */
  prefers64: boolean;
  t38: boolean;
  /** Bit 49: accepts SUB (T.30 §5.3.6.2.6), the subaddress a gateway routes on. */
  subaddressing?: boolean;
  /** Bit 50: accepts a password / sender id frame (SID). */
  password?: boolean;
}

/** What a DCS commands. */
export interface SessionParams {
  modulation: Modulation;
  resolution: Resolution;
  encoding: Encoding;
  width: PageWidth;
  length: PageLength;
  minScanLineMs: number;
  ecm: boolean;
  ecmFrameSize: 64 | 256;
  /** Bits 49 and 50 in DCS: SUB and SID frames precede this DCS. */
  withSubaddress?: boolean;
  withSenderId?: boolean;
}

function bit(fif: Uint8Array, n: number): boolean {
  const i = (n - 1) >> 3;
  return i < fif.length && (fif[i] & (1 << ((n - 1) & 7))) !== 0;
}

class FifBuilder {
  readonly bytes = new Uint8Array(8);
  set(n: number, on = true): void {
    if (on) this.bytes[(n - 1) >> 3] |= 1 << ((n - 1) & 7);
  }
  /** Trims to the last octet in use and sets the extend bits (24, 32, …) before it. */
  finish(minOctets = 3): Uint8Array {
    let last = this.bytes.length - 1;
    while (last >= minOctets && this.bytes[last] === 0) last--;
    for (let o = 2; o < last; o++) this.bytes[o] |= 0x80; // extend bit: bit 8 of octets 3..
    return this.bytes.slice(0, last + 1);
  }
}

// Bits 21–23, DIS and DCS (T.30 Table 2): minimum scan line time. Only the plain codes;
// the "half time at fine" variants are read as their standard value.
const SCAN_TIMES: Array<[[boolean, boolean, boolean], number]> = [
  [[false, false, false], 20],
  [[false, false, true], 40],
  [[false, true, false], 10],
  [[true, false, false], 5],
  [[true, true, true], 0],
  [[false, true, true], 10],
  [[true, true, false], 20],
  [[true, false, true], 40],
];

function scanTimeOf(fif: Uint8Array): number {
  const key = [bit(fif, 21), bit(fif, 22), bit(fif, 23)];
  for (const [bits, ms] of SCAN_TIMES) if (bits[0] === key[0] && bits[1] === key[1] && bits[2] === key[2]) return ms;
  return 20;
}

function setScanTime(b: FifBuilder, ms: number): void {
  const entry = SCAN_TIMES.find(([, t]) => t === ms);
  if (!entry) throw new RangeError(`no scan line time code for ${ms} ms`);
  b.set(21, entry[0][0]);
  b.set(22, entry[0][1]);
  b.set(23, entry[0][2]);
}

/** Parses a DIS or DTC FIF (T.30 Table 2). */
export function parseDis(fif: Uint8Array): Capabilities {
  // Bits 11–14 in DIS: 0000 V.27ter fallback, 0100 V.27ter, 1000 V.29, 1100 V.27ter+V.29,
  // 1101 adds V.17 (and 1110 / 1111 reserved: read as the nearest).
  const b11 = bit(fif, 11), b12 = bit(fif, 12), b14 = bit(fif, 14);
  const modems: Modem[] = ['v27ter'];
  if (b11) modems.push('v29');
  if (b11 && b12 && b14) modems.push('v17');
  const resolutions: Resolution[] = ['standard'];
  if (bit(fif, 15)) resolutions.push('fine');
  if (bit(fif, 41)) resolutions.push('superfine');
  const ecm = bit(fif, 27);
  const encodings: Encoding[] = ['mh'];
  if (bit(fif, 16)) encodings.push('mr');
  // T.30 Table 2 note: T.6 coding needs ECM
  if (bit(fif, 31) && ecm) encodings.push('mmr');
  // Bits 17–18: 00 A4; 01 A4, B4 and A3; 10 A4 and B4; 11 invalid (read as A4)
  const widths: PageWidth[] = ['A4'];
  if (bit(fif, 17) !== bit(fif, 18)) widths.push('B4');
  if (!bit(fif, 17) && bit(fif, 18)) widths.push('A3');
  // Bits 19–20: 00 A4; 01 unlimited; 10 A4 and B4; 11 invalid
  const lengths: PageLength[] = ['A4'];
  if (bit(fif, 19) && !bit(fif, 20)) lengths.push('B4');
  if (!bit(fif, 19) && bit(fif, 20)) lengths.push('B4', 'unlimited');
  return {
    readyToReceive: bit(fif, 10),
    modems,
    resolutions,
    encodings,
    widths,
    lengths,
    minScanLineMs: scanTimeOf(fif),
    ecm,
    prefers64: bit(fif, 7),
    t38: bit(fif, 3),
    subaddressing: bit(fif, 49),
    password: bit(fif, 50),
  };
}

/** Builds a DIS (or DTC) FIF offering `caps`. */
export function buildDis(caps: Capabilities): Uint8Array {
  const b = new FifBuilder();
  b.set(3, caps.t38);
  b.set(7, caps.prefers64);
  b.set(10, caps.readyToReceive);
  const v29 = caps.modems.includes('v29'), v17 = caps.modems.includes('v17');
  if (v17) {
    b.set(11); b.set(12); b.set(14);
  } else if (v29) {
    b.set(11); b.set(12);
  } else {
    b.set(12);
  }
  b.set(15, caps.resolutions.includes('fine'));
  b.set(16, caps.encodings.includes('mr'));
  const b4 = caps.widths.includes('B4'), a3 = caps.widths.includes('A3');
  if (a3) b.set(18);
  else if (b4) b.set(17);
  if (caps.lengths.includes('unlimited')) b.set(20);
  else if (caps.lengths.includes('B4')) b.set(19);
  setScanTime(b, caps.minScanLineMs);
  b.set(27, caps.ecm);
  b.set(31, caps.ecm && caps.encodings.includes('mmr'));
  b.set(41, caps.resolutions.includes('superfine'));
  // Bit 45: metric resolutions preferred, the only kind faxgate writes
  b.set(45);
  b.set(49, caps.subaddressing ?? false);
  b.set(50, caps.password ?? false);
  return b.finish();
}

// DCS bits 11–14 (T.30 Table 2), in bit order 11, 12, 13, 14.
const DCS_RATES: Array<[Modulation, [boolean, boolean, boolean, boolean]]> = [
  [{ modem: 'v27ter', bps: 2400 }, [false, false, false, false]],
  [{ modem: 'v27ter', bps: 4800 }, [false, true, false, false]],
  [{ modem: 'v29', bps: 9600 }, [true, false, false, false]],
  [{ modem: 'v29', bps: 7200 }, [true, true, false, false]],
  [{ modem: 'v17', bps: 14400 }, [false, false, false, true]],
  [{ modem: 'v17', bps: 12000 }, [false, true, false, true]],
  [{ modem: 'v17', bps: 9600 }, [true, false, false, true]],
  [{ modem: 'v17', bps: 7200 }, [true, true, false, true]],
];

/** Sets DCS bits 11–14 for a modulation; shared with CTC (T.30 §A.4.3). */
export function setRateBits(fif: Uint8Array, m: Modulation): void {
  const entry = DCS_RATES.find(([r]) => r.modem === m.modem && r.bps === m.bps);
  if (!entry) throw new RangeError(`no DCS code for ${m.modem} ${m.bps}`);
  for (let i = 0; i < 4; i++) {
    const n = 11 + i;
    const mask = 1 << ((n - 1) & 7);
    if (entry[1][i]) fif[(n - 1) >> 3] |= mask;
    else fif[(n - 1) >> 3] &= ~mask;
  }
}

/** Reads DCS (or CTC) bits 11–14. */
export function rateOf(fif: Uint8Array): Modulation | undefined {
  const key = [bit(fif, 11), bit(fif, 12), bit(fif, 13), bit(fif, 14)];
  const entry = DCS_RATES.find(([, bits]) => bits.every((v, i) => v === key[i]));
  return entry?.[0];
}

/** Builds a DCS FIF commanding `p`. */
export function buildDcs(p: SessionParams): Uint8Array {
  const b = new FifBuilder();
  b.set(10); // receiver fax operation
  b.set(15, p.resolution === 'fine');
  b.set(16, p.encoding === 'mr');
  if (p.width === 'B4') b.set(17);
  if (p.width === 'A3') b.set(18);
  if (p.length === 'unlimited') b.set(20);
  if (p.length === 'B4') b.set(19);
  setScanTime(b, p.minScanLineMs);
  b.set(27, p.ecm);
  b.set(28, p.ecm && p.ecmFrameSize === 64);
  b.set(31, p.encoding === 'mmr');
  b.set(41, p.resolution === 'superfine');
  b.set(45);
  b.set(49, p.withSubaddress ?? false);
  b.set(50, p.withSenderId ?? false);
  const fif = b.finish();
  setRateBits(fif, p.modulation);
  return fif;
}

/** Parses a DCS FIF; undefined when the rate code is reserved. */
export function parseDcs(fif: Uint8Array): SessionParams | undefined {
  const modulation = rateOf(fif);
  if (!modulation) return undefined;
  const ecm = bit(fif, 27);
  const encoding: Encoding = bit(fif, 31) ? 'mmr' : bit(fif, 16) ? 'mr' : 'mh';
  const resolution: Resolution = bit(fif, 41) ? 'superfine' : bit(fif, 15) ? 'fine' : 'standard';
  const width: PageWidth = bit(fif, 17) ? 'B4' : bit(fif, 18) ? 'A3' : 'A4';
  const length: PageLength = bit(fif, 20) ? 'unlimited' : bit(fif, 19) ? 'B4' : 'A4';
  return {
    modulation,
    resolution,
    encoding,
    width,
    length,
    minScanLineMs: scanTimeOf(fif),
    ecm,
    ecmFrameSize: bit(fif, 28) ? 64 : 256,
    withSubaddress: bit(fif, 49),
    withSenderId: bit(fif, 50),
  };
}
