import { z } from 'zod';

/** A duration given as `90`, `90s`, `500ms`, `3m`, `2h` or `1d`; parsed to milliseconds. */
export function duration(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use e.g. 500ms, 30s, 3m, 2h)` });
        return z.NEVER;
      }
      return ms;
    });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `30s`, `3m`, `2h`, `1d` or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']);
}

/** A comma-separated list; blanks are dropped. */
export function csv(defaultValue = '') {
  return z
    .string()
    .default(defaultValue)
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
}

export function int(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

export function port(defaultValue: number) {
  return int(defaultValue, 0, 65535);
}

export function bool(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(defaultValue ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
}

export function optionalString() {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
}

export function url(defaultValue: string, protocols: string[]) {
  return z
    .string()
    .default(defaultValue)
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    }, `must be a URL (${protocols.join(', ')})`);
}

/** An IANA time zone name (`Europe/Berlin`, `UTC`), checked against the zones this Node knows. */
export function timeZone(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((tz, ctx) => {
      if (isTimeZone(tz)) return tz;
      ctx.addIssue({ code: 'custom', message: `"${tz}" is not a time zone name (use an IANA name such as UTC, Europe/Berlin or America/New_York)` });
      return z.NEVER;
    });
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * A comma list of mail domains: each a host name of letters, digits and hyphens in dot-separated
 * labels of at most 63 octets (RFC 1035 §2.3.1, RFC 5321 §4.1.2 Domain), lower-cased. Every bad
 * entry is named.
 */
export function domainList(defaultValue = '') {
  return z
    .string()
    .default(defaultValue)
    .transform((text, ctx) => {
      const domains = text.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
      const bad = domains.filter((d) => !isMailDomain(d));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `not a mail domain: ${bad.map((d) => `"${d}"`).join(', ')}` });
        return z.NEVER;
      }
      return domains.map((d) => d.toLowerCase());
    });
}

export function isMailDomain(d: string): boolean {
  if (d.length > 253) return false;
  return d.split('.').every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
