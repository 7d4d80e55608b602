import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { costlyRefusal, dialPolicyRefusal, type DialPolicy } from './dial-policy.ts';

/** The dial policy (what may be dialled) and how the line dials it. */
export interface DialRules extends DialPolicy {
  /** Digits dialled first to get an outside line (a PBX's "9"); empty for none. */
  outsidePrefix: string;
  /** International access code; default by country (011 in the NANP, 00 elsewhere). */
  internationalPrefix?: string;
}

export type NumberResult =
  | { ok: true; e164: string; dialString: string; country?: string }
  | { ok: false; reason: 'invalid' | 'denied'; detail: string };

/**
 * Turns the local part of a fax address (`15551234567`, `+44 20 7946 0018`, `(212) 555-0100`)
 * into an E.164 number, using the default country for national forms, and then into the digits
 * the line dials under the dial rules.
 */
export function parseFaxNumber(localPart: string, defaultCountry: string, rules: DialRules): NumberResult {
  const cleaned = localPart.trim().replace(/^fax[=:]/i, '');
  if (!/^[+0-9 ()./-]{3,40}$/.test(cleaned)) return { ok: false, reason: 'invalid', detail: `"${localPart}" has characters that are not part of a phone number` };
  const digits = cleaned.replace(/[^0-9+]/g, '');
  const country = defaultCountry.toUpperCase() as CountryCode;
  // A number written with its country code but without "+" (15551234567, 442079460018) is
  // common in fax addresses; try the national reading first, then the international one.
  const candidates = digits.startsWith('+') ? [digits] : [digits, `+${digits}`];
  for (const c of candidates) {
    const pn = parsePhoneNumberFromString(c, country);
    // Costly ranges are refused before validity: libphonenumber's metadata lags the ranges
    // carriers open (and has no plan at all for reserved codes), and "invalid" must not become
    // "dialled" once the metadata catches up.
    const costly = costlyRefusal(pn?.number ?? (c.startsWith('+') ? c : ''), rules);
    if (costly) return { ok: false, reason: 'denied', detail: costly };
    if (!pn || !pn.isPossible()) continue;
    if (!pn.isValid() && !isFictionalTestNumber(pn.number)) continue;
    const e164 = pn.number;
    const refusal = dialPolicyRefusal(e164, rules);
    if (refusal) return { ok: false, reason: 'denied', detail: refusal };
    return { ok: true, e164, dialString: toDialString(e164, rules), country: pn.country };
  }
  return { ok: false, reason: 'invalid', detail: `"${localPart}" is not a valid phone number${digits.startsWith('+') ? '' : ` for ${country}`}` };
}

/**
 * The NANP reserves 555-0100..0199 for fiction; libphonenumber calls them invalid, but they are
 * what documentation, tests and demos use, so faxgate accepts them (they are never assigned).
 */
function isFictionalTestNumber(e164: string): boolean {
  return /^\+1[2-9]\d{2}5550[1]\d{2}$/.test(e164);
}

/** The digits the line dials for an E.164 number under the dial rules. */
export function toDialString(e164: string, rules: DialRules): string {
  const pn = parsePhoneNumberFromString(e164);
  if (!pn) throw new Error(`not an E.164 number: ${e164}`);
  const home = rules.country.toUpperCase() as CountryCode;
  const nanp = pn.countryCallingCode === '1';
  const homeCode = countryCallingCode(home);
  let digits: string;
  if (pn.countryCallingCode === homeCode) {
    // T.30 does not care, but the network does: national form with the trunk prefix
    // (1 in the NANP, usually 0 elsewhere), as libphonenumber formats it for dialling.
    digits = nanp ? `1${pn.nationalNumber}` : pn.format('NATIONAL').replace(/[^0-9]/g, '');
  } else {
    const idd = rules.internationalPrefix ?? (countryCallingCode(home) === '1' ? '011' : '00');
    digits = `${idd}${pn.countryCallingCode}${pn.nationalNumber}`;
  }
  return `${rules.outsidePrefix}${digits}`;
}

function countryCallingCode(country: CountryCode): string {
  return getCountryCallingCode(country);
}
