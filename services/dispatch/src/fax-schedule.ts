import { parseDuration } from '@faxgate/config';
import type { FaxPriority, FaxSchedule } from '@faxgate/store';

/** Priority classes, highest first; X-Fax-Priority 1–5 name them in this order. */
export const PRIORITIES: readonly FaxPriority[] = ['urgent', 'high', 'normal', 'low', 'bulk'];

/** A message's header fields, lower-cased names, unfolded values (RFC 5322 §2.2.3). */
export type HeaderFields = Map<string, string[]>;

/**
 * Reads the header section of a stored message (up to the first empty line): enough for the
 * scheduling fields, without parsing the body.
 */
export function readHeaderFields(message: Uint8Array): HeaderFields {
  const text = Buffer.from(message.subarray(0, Math.min(message.length, 256 * 1024))).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields: HeaderFields = new Map();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = fields.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    fields.set(name, list);
  }
  return fields;
}

/**
 * X-Fax-Priority (a name or 1–5), else a `[urgent]`-style keyword in the subject, else the
 * sender's class (FAXGATE_PRIORITY_SENDERS), else normal.
 */
export function priorityOf(fields: HeaderFields, subject: string | undefined, notes: string[], senderClass?: FaxPriority): FaxPriority {
  const header = fields.get('x-fax-priority')?.[0];
  if (header !== undefined) {
    const v = header.trim().toLowerCase();
    if ((PRIORITIES as readonly string[]).includes(v)) return v as FaxPriority;
    if (/^[1-5]$/.test(v)) return PRIORITIES[Number(v) - 1];
    notes.push(`X-Fax-Priority "${header}" is not one of ${PRIORITIES.join(', ')} or 1-5; the fax was sent at normal priority`);
  }
  const keyword = /\[(urgent|high|normal|low|bulk)\]/i.exec(subject ?? '');
  return keyword ? (keyword[1].toLowerCase() as FaxPriority) : (senderClass ?? 'normal');
}

/**
 * A point in time from a header: an RFC 5322 date-time (§3.3) or ISO 8601 (a date-time without
 * an offset is UTC); for the kill time also a duration after `relativeTo` (`90m`, `+3h`,
 * HylaFAX's `now + 3 hours`).
 */
export function parseWhen(value: string, relativeTo?: number): number | undefined {
  const v = value.trim();
  if (relativeTo !== undefined) {
    const rel = /^(?:now\s*)?\+?\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|seconds?|minutes?|hours?|days?)$/i.exec(v);
    if (rel) {
      const unit = rel[2].toLowerCase();
      const short = unit.startsWith('sec') ? 's' : unit.startsWith('min') ? 'm' : unit.startsWith('hour') ? 'h' : unit.startsWith('day') ? 'd' : unit;
      const ms = parseDuration(`${rel[1]}${short}`);
      if (ms !== undefined) return relativeTo + ms;
    }
  }
  if (!/\d/.test(v)) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The fax's schedule from its header fields (and its sender's class): priority, send-at (X-Fax-Send-At) and kill time
 * (X-Fax-Kill-Time, else `defaultKillAfterMs` after the send time, as HylaFAX's killtime counts
 * from the time to send; 0 for none). A value that cannot be read is noted and left out: the fax
 * is not lost over a typo.
 */
export function scheduleOf(fields: HeaderFields, subject: string | undefined, createdAt: string, defaultKillAfterMs: number, senderClass?: FaxPriority): FaxSchedule {
  const notes: string[] = [];
  const priority = priorityOf(fields, subject, notes, senderClass);
  const created = Date.parse(createdAt);
  let sendAt: number | undefined;
  const sendHeader = fields.get('x-fax-send-at')?.[0];
  if (sendHeader !== undefined) {
    sendAt = parseWhen(sendHeader);
    if (sendAt === undefined) notes.push(`X-Fax-Send-At "${sendHeader}" is not a date (RFC 5322 or ISO 8601); the fax was sent at once`);
  }
  const base = Math.max(sendAt ?? created, created);
  let killAt: number | undefined = defaultKillAfterMs > 0 ? base + defaultKillAfterMs : undefined;
  const killHeader = fields.get('x-fax-kill-time')?.[0];
  if (killHeader !== undefined) {
    const k = parseWhen(killHeader, base);
    if (k === undefined) notes.push(`X-Fax-Kill-Time "${killHeader}" is not a date or a duration; the default kill time applies`);
    else killAt = k;
  }
  return {
    priority,
    ...(sendAt !== undefined && sendAt > created ? { sendAt: new Date(sendAt).toISOString() } : {}),
    ...(killAt !== undefined ? { killAt: new Date(killAt).toISOString() } : {}),
    ...(notes.length ? { notes } : {}),
  };
}
