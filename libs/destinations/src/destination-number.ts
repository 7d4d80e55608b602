import { parseFaxNumber, type DialRules } from '@faxgate/phone';

// Only normalised, never judged: an admin may look up or block a number the dial rules refuse
// anyway (a premium range a sender keeps trying, a country that is closed today).
const ANY_NUMBER = (country: string): DialRules => ({ country, outsidePrefix: '', international: ['any'], costlyAllow: ['all'], deny: [], allow: [] });

/**
 * The E.164 form under which destination memory keeps a number an admin typed (E.164, or a
 * national number of `defaultCountry`), or why it is not a phone number.
 */
export function destinationNumber(raw: string, defaultCountry: string): { ok: true; e164: string } | { ok: false; detail: string } {
  const n = parseFaxNumber(raw, defaultCountry, ANY_NUMBER(defaultCountry));
  return n.ok ? { ok: true, e164: n.e164 } : { ok: false, detail: n.detail };
}
