/** What an audit line is about: a sent fax, a received fax, or the gateway itself (a purge run). */
export type AuditSubject = 'fax' | 'inbound' | 'system';

/**
 * One line of the audit trail: append-only, kept for the records' retention even after the fax
 * it names was purged (its `purged` line is the evidence of the purge).
 */
export interface AuditEvent {
  /** When it happened (ISO 8601, UTC). */
  at: string;
  subject: AuditSubject;
  /** The fax id (fx…) or received-fax id (in…); empty for a system line. */
  id: string;
  /** accepted, rendered, call success, result mail sent, failed, purged, … (the timeline's words). */
  event: string;
  recipient?: number;
  detail?: string;
  /** Who did it, when not the gateway's own flow: `cli`, `console:<user>`, `retention`. */
  actor?: string;
}

/** An event as read back, with the Redis stream id that orders it. */
export interface StoredAuditEvent extends AuditEvent {
  seq: string;
}

/** The columns of the CSV export, in order. */
export const AUDIT_COLUMNS = ['at', 'subject', 'id', 'recipient', 'event', 'detail', 'actor'] as const;

/** One CSV field (RFC 4180 §2: fields with a comma, quote or line break are quoted, quotes doubled). */
function csvField(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  // A leading =, +, - or @ makes a spreadsheet run the cell as a formula (CSV injection): the
  // detail carries text from mails and lines, so such a cell is prefixed with a quote.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV header line, CRLF-terminated as RFC 4180 asks. */
export function auditCsvHeader(): string {
  return `${AUDIT_COLUMNS.join(',')}\r\n`;
}

export function auditCsvRow(e: AuditEvent): string {
  return `${AUDIT_COLUMNS.map((c) => csvField(e[c])).join(',')}\r\n`;
}

/** One JSON line (JSON Lines: one object per line, LF-terminated). */
export function auditJsonLine(e: AuditEvent): string {
  const { at, subject, id, event, recipient, detail, actor } = e;
  return `${JSON.stringify({ at, subject, id, event, ...(recipient !== undefined ? { recipient } : {}), ...(detail ? { detail } : {}), ...(actor ? { actor } : {}) })}\n`;
}

export type AuditFormat = 'csv' | 'jsonl';

/** The export as text chunks: the header (CSV) then one line per event. */
export async function* formatAudit(events: AsyncIterable<AuditEvent>, format: AuditFormat): AsyncGenerator<string> {
  if (format === 'csv') yield auditCsvHeader();
  for await (const e of events) yield format === 'csv' ? auditCsvRow(e) : auditJsonLine(e);
}
