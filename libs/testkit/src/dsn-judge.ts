import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What Python's email package reads out of a delivery status notification (RFC 3464). */
export interface ParsedDsn {
  content_type: string;
  report_type: string | null;
  subject: string;
  message_id: string;
  /** Content types of the parts, `mixed:` before those inside a multipart/mixed first part. */
  parts: string[];
  /** Per-message fields, names lower-cased. */
  per_message: Record<string, string>;
  /** One object per recipient block, names lower-cased. */
  recipients: Array<Record<string, string>>;
  /** The human-readable text. */
  human: string;
  returned: { kind: 'full'; subject: string; body: string } | { kind: 'headers'; text: string } | null;
}

const script = fileURLToPath(new URL('./dsn-judge.py', import.meta.url));

/**
 * Parses a mail with Python's standard `email` package (not faxgate's code, nor the Node mail
 * parser faxgate sends with): the judge of whether a report is a DSN MTAs and clients understand.
 */
export function parseDsnWithPython(raw: Buffer | string): ParsedDsn {
  return JSON.parse(execFileSync('python3', [script], { input: raw }).toString()) as ParsedDsn;
}
