import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { parseNameAddr, parseUri } from '@faxgate/sip';

/**
 * The Request-URI of an outgoing fax call from the pool's dial format: `{number}` is the number
 * as the line dials it (dial string), `{e164}` the E.164 form with `+`, `{digits}` E.164 without
 * `+`, `{domain}` the trunk's domain. Example: `sip:{e164}@carrier.example;user=phone`.
 */
export function dialUri(format: string, call: { number: string; dialString: string }, domain: string): string {
  const e164 = call.number.startsWith('+') ? call.number : `+${call.number}`;
  return format.replaceAll('{number}', call.dialString).replaceAll('{e164}', e164).replaceAll('{digits}', e164.slice(1)).replaceAll('{domain}', domain);
}

/**
 * The telephone number in a SIP or tel URI's user part (RFC 3966 visual separators removed),
 * as E.164 when it can be read as one: `+…` as is, otherwise a national or international-prefix
 * form read in `country`. Anything else (`anonymous`, an extension) is returned as found.
 */
export function numberOfUri(uri: string | undefined, country: string): string {
  if (!uri) return '';
  let user: string | undefined;
  try {
    const u = parseUri(parseNameAddr(uri).uri);
    user = u.user;
  } catch {
    return '';
  }
  if (!user) return '';
  const raw = user.split(';')[0];
  const cleaned = raw.replace(/[-.() ]/g, '');
  if (!/^\+?\d{2,20}$/.test(cleaned)) return raw;
  if (cleaned.startsWith('+')) return cleaned;
  const pn = parsePhoneNumberFromString(cleaned, country.toUpperCase() as CountryCode);
  if (pn && pn.isPossible()) return pn.number;
  return cleaned;
}
