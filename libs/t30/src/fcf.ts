// T.30 §5.3.6.1: facsimile control field codes. T.30 writes each code as the bit string in
// transmission order; HDLC sends the least significant bit of an octet first, so the octet
// value is that string read backwards. The first bit is X (§5.3.6.1: set to 1 by the station
// that received a valid DIS), and is left 0 here.

function fcf(bits: string): number {
  const s = bits.replace(/\s/g, '').replace('X', '0');
  let v = 0;
  for (let i = 0; i < 8; i++) if (s[i] === '1') v |= 1 << i;
  return v;
}

/** T.30 Table 1 and §5.3.6.1.1–§5.3.6.1.8, octet values with X = 0. */
export const FCF = {
  DIS: fcf('0000 0001'),
  CSI: fcf('0000 0010'),
  NSF: fcf('0000 0100'),
  DTC: fcf('1000 0001'),
  CIG: fcf('1000 0010'),
  NSC: fcf('1000 0100'),
  PWD_POLL: fcf('1000 0011'),
  SEP: fcf('1000 0101'),
  DCS: fcf('X100 0001'),
  TSI: fcf('X100 0010'),
  NSS: fcf('X100 0100'),
  SUB: fcf('X100 0011'),
  SID: fcf('X100 0101'),
  PWD: fcf('X100 0101'), // §5.3.6.1.6: in a transmitting sequence the password shares SID's code
  CTC: fcf('X100 1000'),
  CFR: fcf('X010 0001'),
  FTT: fcf('X010 0010'),
  CTR: fcf('X010 0011'),
  EOM: fcf('X111 0001'),
  MPS: fcf('X111 0010'),
  EOP: fcf('X111 0100'),
  PRI_EOM: fcf('X111 1001'),
  PRI_MPS: fcf('X111 1010'),
  PRI_EOP: fcf('X111 1100'),
  PPS: fcf('X111 1101'),
  EOR: fcf('X111 0011'),
  RR: fcf('X111 0110'),
  MCF: fcf('X011 0001'),
  RTP: fcf('X011 0011'),
  RTN: fcf('X011 0010'),
  PIP: fcf('X011 0101'),
  PIN: fcf('X011 0100'),
  PPR: fcf('X011 1101'),
  RNR: fcf('X011 0111'),
  ERR: fcf('X011 1000'),
  DCN: fcf('X101 1111'),
  CRP: fcf('X101 1000'),
  FNV: fcf('X101 0011'),
  // T.4 Annex A / T.30 Annex A: the ECM image frames on the high-speed modem
  FCD: fcf('0110 0000'),
  RCP: fcf('0110 0001'),
} as const;

/** PPS carries a null second code for a partial page that is not the page's last (T.30 §A.4). */
export const FCF2_NULL = 0x00;

export type FcfName = keyof typeof FCF;

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(FCF)) if (!NAMES.has(value)) NAMES.set(value, name);

/** Name of a frame's FCF, ignoring the X bit, for logs. */
export function fcfName(code: number): string {
  return NAMES.get(code & 0xfe) ?? NAMES.get(code) ?? `FCF 0x${code.toString(16).padStart(2, '0')}`;
}

/** Strips the X bit: receivers compare codes regardless of who sent DIS. */
export function fcfBase(code: number): number {
  return code & 0xfe;
}
