import { z, csv, optionalString, sharedFields } from '@faxgate/config';
import { COSTLY_RANGES } from './costly-ranges.ts';
import type { DialRules } from './fax-number.ts';

const costlyPrefixes = new Set(COSTLY_RANGES.map((r) => r.prefix));

/**
 * The FAXGATE_DIAL_* variables, read by ingest (at RCPT) and by dispatch (before the first
 * call): one definition, so both apply the same policy.
 */
export const dialFields = {
  FAXGATE_DEFAULT_COUNTRY: sharedFields.FAXGATE_DEFAULT_COUNTRY,
  FAXGATE_DIAL_OUTSIDE_PREFIX: z.string().regex(/^[0-9*#,]*$/, 'digits, *, # and , only').default('').describe('Digits dialled first for an outside line (e.g. 9 behind a PBX).'),
  FAXGATE_DIAL_INTERNATIONAL_PREFIX: optionalString().describe('International access code; defaults to 011 in the NANP and 00 elsewhere.'),
  FAXGATE_DIAL_INTERNATIONAL: csv('')
    .refine((list) => list.every((c) => /^[A-Za-z]{2}$/.test(c) || c.toLowerCase() === 'any'), 'ISO 3166 two-letter country codes or `any`')
    .transform((list) => list.map((c) => (c.toLowerCase() === 'any' ? 'any' : c.toUpperCase())))
    .describe('Countries international faxes may go to (ISO codes, comma list, e.g. `CA,GB`), or `any`. Empty: only numbers of FAXGATE_DEFAULT_COUNTRY. See docs/security.md.'),
  FAXGATE_DIAL_COSTLY_ALLOW: csv('')
    .refine((list) => list.every((p) => p.toLowerCase() === 'all' || costlyPrefixes.has(p)), `prefixes of the built-in costly ranges (docs/security.md), e.g. +881, or \`all\``)
    .describe('Built-in costly ranges (satellite, international networks, fraud-prone destinations; listed in docs/security.md) that may be dialled anyway: their prefixes, comma list, or `all`.'),
  FAXGATE_DIAL_DENY: csv('').describe('Numbers never dialled: E.164 with `*` wildcards or /regex/, comma list (e.g. `+1900*`).'),
  FAXGATE_DIAL_ALLOW: csv('').describe('When set, only these numbers may be dialled (same forms as FAXGATE_DIAL_DENY).'),
};

type DialEnv = { [K in keyof typeof dialFields]: z.output<(typeof dialFields)[K]> };

/** The dial rules a role's parsed configuration describes. */
export function dialRulesFromConfig(config: DialEnv): DialRules {
  return {
    country: config.FAXGATE_DEFAULT_COUNTRY,
    outsidePrefix: config.FAXGATE_DIAL_OUTSIDE_PREFIX,
    internationalPrefix: config.FAXGATE_DIAL_INTERNATIONAL_PREFIX,
    international: config.FAXGATE_DIAL_INTERNATIONAL,
    costlyAllow: config.FAXGATE_DIAL_COSTLY_ALLOW,
    deny: config.FAXGATE_DIAL_DENY,
    allow: config.FAXGATE_DIAL_ALLOW,
  };
}

/** One line for the start-up log: where this gateway may dial. */
export function describeDialPolicy(rules: DialRules): string {
  const intl = rules.international.includes('any') ? 'any country' : rules.international.length ? rules.international.join(', ') : 'nowhere (FAXGATE_DIAL_INTERNATIONAL)';
  const costly = rules.costlyAllow.some((p) => p.toLowerCase() === 'all') ? 'all allowed' : rules.costlyAllow.length ? `${COSTLY_RANGES.length - rules.costlyAllow.length} refused, allowed: ${rules.costlyAllow.join(', ')}` : `${COSTLY_RANGES.length} refused`;
  const lists = [rules.allow.length ? `only ${rules.allow.join(', ')}` : '', rules.deny.length ? `never ${rules.deny.join(', ')}` : ''].filter(Boolean).join('; ');
  return `dial      national ${rules.country} numbers; international: ${intl}; costly ranges: ${costly}; premium-rate, shared-cost and pager numbers refused${lists ? `; ${lists}` : ''}`;
}
