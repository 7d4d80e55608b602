import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { costlyRangeOf } from './costly-ranges.ts';

/**
 * Which numbers the gateway may dial. The same policy is applied when a recipient is accepted
 * (SMTP RCPT) and again by dispatch before the first call, so a fax queued under an older,
 * looser configuration is not dialled under a stricter one.
 */
export interface DialPolicy {
  /** Country the gateway's lines are in (ISO 3166 alpha-2): its numbers are national calls. */
  country: string;
  /** Countries (ISO 3166 alpha-2) international calls may go to, or `any`; empty: none. */
  international: string[];
  /** Built-in costly ranges (their prefixes, e.g. `+881`) the admin allows, or `all`. */
  costlyAllow: string[];
  /** Numbers (E.164 with `*` wildcards, or /regex/) that may never be dialled. */
  deny: string[];
  /** When not empty, only numbers matching one of these may be dialled. */
  allow: string[];
}

/** Why the policy refuses a number, or undefined when it may be dialled. */
export function dialPolicyRefusal(e164: string, policy: DialPolicy): string | undefined {
  const costly = costlyRefusal(e164, policy);
  if (costly) return costly;
  const pn = parsePhoneNumberFromString(e164);
  if (!pn) return `${e164} is not an E.164 number`;
  return policyRefusal(pn, policy);
}

/**
 * The costly-range part of the policy alone, on the digits: it applies even to numbers
 * libphonenumber has no plan for (reserved codes) or calls invalid.
 */
export function costlyRefusal(e164: string, policy: DialPolicy): string | undefined {
  const range = costlyRangeOf(e164);
  if (!range) return undefined;
  const home = policy.country.toUpperCase();
  // The gateway's own country is never "costly" for it: its national numbers stay dialable
  // (premium-rate and shared-cost ones are refused by type below).
  if (range.country && range.country === home) return undefined;
  if (policy.costlyAllow.some((p) => p.toLowerCase() === 'all' || p === range.prefix)) return undefined;
  return `${e164} is in a costly range (${range.prefix} ${range.name}); FAXGATE_DIAL_COSTLY_ALLOW=${range.prefix} allows it`;
}

function policyRefusal(pn: PhoneNumber, policy: DialPolicy): string | undefined {
  const e164 = pn.number;
  const type = pn.getType();
  if (type === 'PREMIUM_RATE' || type === 'SHARED_COST' || type === 'PAGER') return `${e164} is a ${type.toLowerCase().replace('_', '-')} number`;
  const home = policy.country.toUpperCase();
  const destination = pn.country;
  // A number libphonenumber cannot place in a region (a fictional 555-01xx) counts as national
  // when it has the home country's calling code.
  const national = destination === home || (destination === undefined && pn.countryCallingCode === getCountryCallingCode(home as CountryCode));
  if (!national && !policy.international.some((c) => c.toLowerCase() === 'any' || c.toUpperCase() === destination)) {
    return destination
      ? `${e164} is an international call to ${destination}, and international calls to ${destination} are off; FAXGATE_DIAL_INTERNATIONAL=${destination} allows them`
      : `${e164} is a non-geographic international number (+${pn.countryCallingCode}), allowed only with FAXGATE_DIAL_INTERNATIONAL=any`;
  }
  if (policy.allow.length > 0 && !policy.allow.some((p) => matchesPattern(e164, p))) return `${e164} is not in the allowed number list`;
  if (policy.deny.some((p) => matchesPattern(e164, p))) return `${e164} is in the denied number list`;
  return undefined;
}

/** `*` matches any digits; `/.../` is a regular expression on the E.164 form. */
export function matchesPattern(e164: string, pattern: string): boolean {
  const p = pattern.trim();
  if (p.startsWith('/') && p.endsWith('/') && p.length > 2) return new RegExp(p.slice(1, -1)).test(e164);
  const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '\\d*')}$`);
  return re.test(e164);
}
