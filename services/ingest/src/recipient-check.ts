import { parseFaxNumber, type DialRules } from '@faxgate/phone';
import type { ErrorCode } from '@faxgate/errors';

export type RecipientVerdict =
  | { ok: true; number: string; dialString: string }
  | { ok: false; code: ErrorCode; detail: string };

/**
 * Decides at RCPT time whether an address is a fax recipient of this gateway: its domain must
 * be one of ours (no open relay) and its local part a number the dial rules allow.
 */
export function checkRecipient(address: string, faxDomains: string[], defaultCountry: string, rules: DialRules): RecipientVerdict {
  const at = address.lastIndexOf('@');
  if (at < 1) return { ok: false, code: 'RCPT_BAD_NUMBER', detail: `"${address}" has no number before @` };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (!faxDomains.some((d) => d.toLowerCase() === domain)) return { ok: false, code: 'RCPT_FOREIGN_DOMAIN', detail: domain };
  const n = parseFaxNumber(local, defaultCountry, rules);
  if (!n.ok) return { ok: false, code: n.reason === 'denied' ? 'RCPT_NUMBER_DENIED' : 'RCPT_BAD_NUMBER', detail: n.detail };
  return { ok: true, number: n.e164, dialString: n.dialString };
}

/**
 * RFC 5321 §4.5.1: `postmaster@` every domain the server takes mail for, and the bare
 * `Postmaster` (case-insensitive local part), must be accepted.
 */
export function isPostmaster(address: string, faxDomains: string[]): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.toLowerCase() === 'postmaster';
  const domain = address.slice(at + 1).toLowerCase();
  return address.slice(0, at).toLowerCase() === 'postmaster' && faxDomains.some((d) => d.toLowerCase() === domain);
}
