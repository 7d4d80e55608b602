// Parsing of the answers a fax modem gives to ITU-T T.31's test commands (AT+FCLASS=?,
// AT+FTM=?, AT+FRM=?, AT+FTH=?, AT+FRH=?) and identity queries into a typed record. The answers
// are V.25 ter §5.1 "range lists": values or value ranges `a-b` separated by commas, possibly
// in parentheses.

/** One modulation of T.31's +FTM/+FRM/+FTH/+FRH <MOD> code table. */
export interface Modulation {
  /** The T.31 <MOD> code, as given to AT+FTM=<code>. */
  code: number;
  standard: 'V.21' | 'V.27ter' | 'V.29' | 'V.17';
  bitRate: number;
  /** V.17 only: long training (odd codes, for TCF and the first page) or short (even codes). */
  training?: 'long' | 'short';
}

/**
 * T.31's <MOD> codes (the table under +FTM): the code is the bit rate in hundreds of bit/s
 * (rounded down), V.17 adds 1 for long and 2 for short training; 3 is V.21 channel 2, which
 * carries the HDLC frames of T.30 phases B and D.
 */
export const MODULATIONS: ReadonlyMap<number, Modulation> = new Map<number, Modulation>([
  [3, { code: 3, standard: 'V.21', bitRate: 300 }],
  [24, { code: 24, standard: 'V.27ter', bitRate: 2400 }],
  [48, { code: 48, standard: 'V.27ter', bitRate: 4800 }],
  [72, { code: 72, standard: 'V.29', bitRate: 7200 }],
  [96, { code: 96, standard: 'V.29', bitRate: 9600 }],
  [73, { code: 73, standard: 'V.17', bitRate: 7200, training: 'long' }],
  [74, { code: 74, standard: 'V.17', bitRate: 7200, training: 'short' }],
  [97, { code: 97, standard: 'V.17', bitRate: 9600, training: 'long' }],
  [98, { code: 98, standard: 'V.17', bitRate: 9600, training: 'short' }],
  [121, { code: 121, standard: 'V.17', bitRate: 12000, training: 'long' }],
  [122, { code: 122, standard: 'V.17', bitRate: 12000, training: 'short' }],
  [145, { code: 145, standard: 'V.17', bitRate: 14400, training: 'long' }],
  [146, { code: 146, standard: 'V.17', bitRate: 14400, training: 'short' }],
]);

/** The service classes of AT+FCLASS=? (T.31 §6 / T.32 / V.253), and which of them are fax. */
export interface ServiceClasses {
  /** As the modem wrote them, e.g. ['0', '1', '1.0']. */
  raw: string[];
  class1: boolean;
  /** Class 1.0 (T.31 Amendment 1 / 1998 edition: the ECM-friendly refinement of Class 1). */
  class10: boolean;
  class2: boolean;
  class20: boolean;
  voice: boolean;
}

export interface ModemIdentity {
  /** ATI's information lines (spandsp answers `spandsp`). */
  ati: string[];
  /** ATI3's, where the modem answers it. */
  ati3: string[];
  /** AT+FMI? / AT+FMM? / AT+FMR? (T.31 §8 identification), undefined where answered ERROR. */
  manufacturer?: string;
  model?: string;
  revision?: string;
}

/** What a probe learned about one modem. */
export interface ModemCapabilities {
  classes: ServiceClasses;
  /** AT+FTM=? : modulations it can transmit image data (and TCF) in. */
  transmit: Modulation[];
  /** AT+FRM=? */
  receive: Modulation[];
  /** AT+FTH=? / AT+FRH=? : HDLC modulations; 3 (V.21) is what T.30 needs. */
  hdlcTransmit: Modulation[];
  hdlcReceive: Modulation[];
  /** Codes a modem listed that T.31's table does not know (kept, not silently dropped). */
  unknownCodes: number[];
  identity: ModemIdentity;
}

/** Splits a V.25 ter range list into its items, without parentheses or spaces. */
export function rangeListItems(text: string): string[] {
  return text
    .replace(/[()\s]/g, '')
    .split(',')
    .filter((s) => s.length > 0);
}

/** Expands a numeric range list (`24,48,72-74`) to its values; throws on a malformed item. */
export function parseNumberList(text: string): number[] {
  const out: number[] = [];
  for (const item of rangeListItems(text)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw new Error(`not a numeric range list item: "${item}" in "${text}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 255) throw new Error(`bad range "${item}" in "${text}"`);
    for (let v = from; v <= to; v++) out.push(v);
  }
  return out;
}

/** Parses AT+FCLASS=?'s answer, e.g. `0,1,1.0` or `0,1,2,2.0,8`. */
export function parseServiceClasses(text: string): ServiceClasses {
  const raw = rangeListItems(text);
  if (raw.length === 0 || raw.some((c) => !/^\d+(\.\d+)?$/.test(c))) throw new Error(`not a +FCLASS list: "${text}"`);
  const has = (c: string) => raw.includes(c);
  return { raw, class1: has('1'), class10: has('1.0'), class2: has('2'), class20: has('2.0'), voice: has('8') };
}

/** Maps <MOD> codes to modulations; codes T.31 does not define go to `unknown`. */
export function modulationsOf(codes: number[], unknown: number[]): Modulation[] {
  const out: Modulation[] = [];
  for (const c of codes) {
    const m = MODULATIONS.get(c);
    if (m) out.push(m);
    else if (!unknown.includes(c)) unknown.push(c);
  }
  return out;
}

/**
 * An identification answer without its echo of the command name or quotes: some modems answer
 * `+FMI: "USRobotics"`, spandsp just `www.soft-switch.org`.
 */
export function identityText(lines: string[], command: string): string | undefined {
  const text = lines
    .map((l) => l.replace(new RegExp(`^\\s*\\+${command}\\s*:\\s*`, 'i'), '').trim().replace(/^"(.*)"$/, '$1'))
    .filter((l) => l.length > 0)
    .join(' ');
  return text.length > 0 ? text : undefined;
}

/** The answer text of a test command (`AT+FTM=?`), without a `+FTM:` prefix some modems add. */
export function testAnswer(lines: string[], command: string): string {
  const text = lines.map((l) => l.replace(new RegExp(`^\\s*\\+${command}\\s*:\\s*`, 'i'), '').trim()).join(',');
  return text;
}

/** The fastest modulation of one standard in a list, or undefined. */
export function fastest(list: Modulation[], standard: Modulation['standard'], training?: Modulation['training']): Modulation | undefined {
  return list.filter((m) => m.standard === standard && (training === undefined || m.training === training)).sort((a, b) => b.bitRate - a.bitRate)[0];
}
