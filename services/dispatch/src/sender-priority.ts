import type { FaxPriority } from '@faxgate/store';
import { PRIORITIES } from './fax-schedule.ts';

/**
 * Sender classes (issue 14: "a priority per fax ... or a sender class"): FAXGATE_PRIORITY_SENDERS
 * gives the priority of a sender's faxes when the mail names none itself, like HylaFAX's
 * per-user JobControl defaults. Entries are `address=class` or `@domain=class`, comma-separated;
 * an address entry wins over its domain's. Parsed once per value.
 */
export interface SenderPriorities {
  byAddress: ReadonlyMap<string, FaxPriority>;
  byDomain: ReadonlyMap<string, FaxPriority>;
}

export function parseSenderPriorities(text: string): { ok: true; value: SenderPriorities } | { ok: false; problem: string } {
  const byAddress = new Map<string, FaxPriority>();
  const byDomain = new Map<string, FaxPriority>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.lastIndexOf('=');
    const who = entry.slice(0, Math.max(0, eq)).trim().toLowerCase();
    const cls = entry.slice(eq + 1).trim().toLowerCase();
    if (eq <= 0 || !(PRIORITIES as readonly string[]).includes(cls)) return { ok: false, problem: `"${entry}" is not sender=class (class one of ${PRIORITIES.join(', ')})` };
    if (/^@[^@\s]+\.[^@\s]+$/.test(who)) byDomain.set(who.slice(1), cls as FaxPriority);
    else if (/^[^@\s]+@[^@\s]+$/.test(who)) byAddress.set(who, cls as FaxPriority);
    else return { ok: false, problem: `"${who}" is neither an address (name@domain) nor a domain (@domain)` };
  }
  return { ok: true, value: { byAddress, byDomain } };
}

/** The class of `sender` (an envelope or From address), if the rules name it or its domain. */
export function senderPriority(rules: SenderPriorities, sender: string): FaxPriority | undefined {
  const address = sender.trim().toLowerCase().replace(/^<|>$/g, '');
  return rules.byAddress.get(address) ?? rules.byDomain.get(address.slice(address.lastIndexOf('@') + 1));
}

let cached: { text: string; rules: SenderPriorities } | undefined;
/** The rules of a configuration value (valid: the config schema checked it), parsed once. */
export function senderPrioritiesOf(text: string): SenderPriorities {
  if (cached?.text !== text) {
    const p = parseSenderPriorities(text);
    cached = { text, rules: p.ok ? p.value : { byAddress: new Map(), byDomain: new Map() } };
  }
  return cached.rules;
}
