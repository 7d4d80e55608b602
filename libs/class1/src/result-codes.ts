// Result codes a fax modem sends in command state, in verbose form (ITU-T V.25 ter §5.7: the
// DTE sets V1; every result is framed <CR><LF>text<CR><LF>), plus the Class 1 ones of ITU-T
// T.31 (+FCERROR). A final result code ends a command; unsolicited codes (RING, caller ID)
// can arrive at any time in command state, even while a command is pending.

/** Final result codes: the command (or the data phase it started) is over. */
export type FinalResult =
  | 'OK'
  | 'CONNECT'
  | 'ERROR'
  | 'NO CARRIER'
  | 'BUSY'
  | 'NO DIALTONE'
  | 'NO ANSWER'
  /** T.31: the DCE heard a different modulation from the one +FRM asked for (+FAR=0). */
  | '+FCERROR';

const FINAL: ReadonlyMap<string, FinalResult> = new Map<string, FinalResult>([
  ['OK', 'OK'],
  ['CONNECT', 'CONNECT'],
  ['ERROR', 'ERROR'],
  ['NO CARRIER', 'NO CARRIER'],
  ['BUSY', 'BUSY'],
  ['NO DIALTONE', 'NO DIALTONE'],
  // Some modems (and V.25 ter's own text) spell it with a space.
  ['NO DIAL TONE', 'NO DIALTONE'],
  ['NO ANSWER', 'NO ANSWER'],
  ['+FCERROR', '+FCERROR'],
  // "+F4" is the Class 1 error result a few older modems use for +FCERROR.
  ['+F4', '+FCERROR'],
]);

/**
 * The final result a line carries, or undefined. `CONNECT <rate>` (a data modem's extended form)
 * counts as CONNECT.
 */
export function finalResult(line: string): FinalResult | undefined {
  const text = line.trim().toUpperCase();
  if (text.startsWith('CONNECT')) return text === 'CONNECT' || text[7] === ' ' ? 'CONNECT' : undefined;
  return FINAL.get(text);
}

/** An unsolicited line: the phone rings, or caller ID arrives (between the first and second ring). */
export type Unsolicited =
  | { kind: 'ring'; line: string }
  /**
   * Caller ID as modems report it after AT+VCID=1 (`NMBR = 5551234`, `NAME = ...`), and the
   * called number some modems and PBX gateways add (`NDID`, `DID`). Field names upper-cased.
   */
  | { kind: 'caller-id'; field: string; value: string; line: string };

// iaxmodem also sends ANID, USER (the IAX peer), PASS and CDID, all before the first RING.
const CALLER_ID_FIELD = /^(NMBR|NAME|NDID|DID|CDID|ANID|DATE|TIME|MESG|USER|PASS|CALLER NUMBER|CALLER NAME)\s*[=:]\s*(.*)$/i;

/** Recognises RING and caller ID lines; undefined for anything else. */
export function unsolicited(line: string): Unsolicited | undefined {
  const text = line.trim();
  if (/^RING\b/i.test(text)) return { kind: 'ring', line: text };
  const m = CALLER_ID_FIELD.exec(text);
  if (m) return { kind: 'caller-id', field: m[1].toUpperCase(), value: m[2].trim(), line: text };
  return undefined;
}
