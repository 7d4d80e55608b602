import { globSync } from 'node:fs';
import { z, bool, csv, duration, int } from '@faxgate/config';
import type { Encoding } from '@faxgate/t30';

/**
 * The class1 driver's variables (FAXGATE_NODE_DRIVER=class1): the modem devices and the
 * per-modem quirks, each with the HylaFAX config name it corresponds to (docs/modems.md).
 */
export const class1Fields = {
  FAXGATE_MODEM_DEVICES: csv('').describe('Class 1 driver: the modem devices, comma separated; globs allowed (`/dev/ttyACM*,/dev/ttyUSB*`). One line per modem.'),
  FAXGATE_MODEM_LOCAL_ID: z.string().regex(/^[0-9+ ]{0,20}$/, 'T.30 §5.3.6.2.2: up to 20 digits, + and spaces').default('').describe('Class 1 driver: station id sent as TSI when calling and CSI when answering (HylaFAX LocalIdentifier).'),
  FAXGATE_MODEM_ECM: bool(true).describe('Class 1 driver: offer and use error correction mode (T.30 Annex A, framed in host software); MMR is only sent with ECM.'),
  FAXGATE_MODEM_MODULATIONS: csv('v17,v29,v27ter').describe('Class 1 driver: image modulations to use, of `v17`, `v29`, `v27ter` (limited further by what each modem reports in +FTM=?/+FRM=?); `v29,v27ter` caps the lines at 9600 bit/s (as HylaFAX MaxRate does) for noisy lines.'),
  FAXGATE_MODEM_CODINGS: csv('mh,mr,mmr').describe('Class 1 driver: page codings to offer (DIS) and to send, of `mh`, `mr`, `mmr` (HylaFAX Class1MRSupport, Class1MMRSupport); `mh` must stay, every Group 3 machine reads it. Leave out a coding a modem or the far machines mishandle; MMR is only used with ECM.'),
  FAXGATE_MODEM_DIAL_CMD: z.string().regex(/%s/, 'must contain %s for the number').default('ATDT%s').describe('Class 1 driver: dial command, %s is the dial string (HylaFAX ModemDialCmd).'),
  FAXGATE_MODEM_DIAL_TIMEOUT: duration('90s').describe('Class 1 driver: how long a dial may take to CONNECT before the call counts as no answer (HylaFAX DialResponseTimeout).'),
  FAXGATE_MODEM_RESET_CMDS: z.string().default('ATZ').describe('Class 1 driver: commands sent before every probe, `;` separated (HylaFAX ModemResetCmds).'),
  FAXGATE_MODEM_INIT_CMDS: z.string().default('AT+VCID=1').describe('Class 1 driver: commands sent after the probe, `;` separated; a command answered ERROR is logged and skipped (HylaFAX ModemSetupAACmd and friends). `AT+VCID=1` asks for caller ID.'),
  FAXGATE_MODEM_RINGS: int(1, 1, 20).describe('Class 1 driver: rings before the modem answers (HylaFAX RingsBeforeAnswer); to never answer, set FAXGATE_MODEM_ANSWER=false.'),
  FAXGATE_MODEM_ANSWER: bool(true).describe('Class 1 driver: answer incoming calls on the modems (receive faxes).'),
  FAXGATE_MODEM_DID: z.string().regex(/^\+?[0-9]{0,20}$/).default('').describe('Class 1 driver: called number recorded for received faxes when the modem reports none (NDID).'),
  FAXGATE_MODEM_SWITCHING_CMD: z.string().default('AT+FRS=7').describe('Class 1 driver: sent before transmitting after receiving, 75 ms of silence (HylaFAX Class1SwitchingCmd); empty: none.'),
  FAXGATE_MODEM_TCF_WAIT_CMD: z.string().default('AT+FTS=7').describe('Class 1 driver: sent between DCS and TCF (HylaFAX Class1TCFWaitCmd).'),
  FAXGATE_MODEM_PPM_WAIT_CMD: z.string().default('AT+FTS=7').describe('Class 1 driver: sent between page data and the post-page message (HylaFAX Class1PPMWaitCmd).'),
  FAXGATE_MODEM_CONNECT_DELAY: duration('0ms').describe('Class 1 driver: pause between +FTM\'s CONNECT and the data (HylaFAX Class1TMConnectDelay).'),
  FAXGATE_MODEM_TCF_RECV_TIMEOUT: duration('4500ms').describe('Class 1 driver: how long to wait for the TCF carrier after DCS (HylaFAX Class1TCFRecvTimeout).'),
  FAXGATE_MODEM_CHECK_INTERVAL: duration('30s').describe('Class 1 driver: an idle modem is sent `AT` this often; one that does not answer is marked down, reset and probed again with backoff.'),
};

/**
 * The devices FAXGATE_MODEM_DEVICES names, globs expanded (sorted, so line numbers stay put).
 * A plain path is kept even when it does not exist yet: the line is down until it appears.
 */
export function expandDevices(patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    if (!/[*?[]/.test(p)) {
      if (!out.includes(p)) out.push(p);
      continue;
    }
    for (const d of globSync(p).sort()) if (!out.includes(d)) out.push(d);
  }
  return out;
}

const CODINGS: readonly Encoding[] = ['mh', 'mr', 'mmr'];

/**
 * FAXGATE_MODEM_CODINGS as the T.30 engine takes it. MH cannot be left out: T.4 §4.1's
 * one-dimensional coding is the one every Group 3 terminal must read and send, and the
 * fall-back when the far end offers nothing else.
 */
export function parseCodings(list: string[]): Encoding[] {
  const bad = list.filter((c) => !CODINGS.includes(c as Encoding));
  if (bad.length > 0) throw new Error(`FAXGATE_MODEM_CODINGS: ${bad.join(',')}: use mh, mr, mmr`);
  if (!list.includes('mh')) throw new Error('FAXGATE_MODEM_CODINGS must include mh (T.4 §4.1: every Group 3 machine reads MH)');
  return CODINGS.filter((c) => list.includes(c));
}
