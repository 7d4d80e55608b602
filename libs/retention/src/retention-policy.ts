import { duration } from '@faxgate/config';

/**
 * How long each kind of data is kept. Documents hold the faxed content (personal data) and are
 * only needed until the fax is finished and the sender has the result; records and the audit
 * trail are the log (cloud fax services keep logs about 13 months). 0 keeps a kind for ever.
 */
export const retentionFields = {
  FAXGATE_RETENTION_RECORDS: duration('400d').describe(
    'How long fax and received-fax records (the console, the API) and the audit trail are kept after a fax was accepted; finished faxes older than this are purged (0: kept for ever).',
  ),
  FAXGATE_RETENTION_MESSAGES: duration('30d').describe(
    'How long stored messages (messages/, postmaster/, outbox/ in the data directory) are kept; a fax still in flight keeps its message (0: kept for ever).',
  ),
  FAXGATE_RETENTION_RENDERED: duration('30d').describe('How long rendered faxes (faxes/, sim-received/) are kept; a fax still in flight keeps its pages (0: kept for ever).'),
  FAXGATE_RETENTION_RECEIVED: duration('30d').describe('How long received faxes (inbound/) are kept; one not yet delivered is kept (0: kept for ever).'),
  FAXGATE_RETENTION_INTERVAL: duration('1h').describe('How often the retention purge runs (on the elected dispatch leader only).'),
};

/** Retention per kind, in ms; 0 keeps that kind for ever. */
export interface RetentionPolicy {
  recordsMs: number;
  messagesMs: number;
  renderedMs: number;
  receivedMs: number;
}

export function retentionPolicy(c: { FAXGATE_RETENTION_RECORDS: number; FAXGATE_RETENTION_MESSAGES: number; FAXGATE_RETENTION_RENDERED: number; FAXGATE_RETENTION_RECEIVED: number }): RetentionPolicy {
  return { recordsMs: c.FAXGATE_RETENTION_RECORDS, messagesMs: c.FAXGATE_RETENTION_MESSAGES, renderedMs: c.FAXGATE_RETENTION_RENDERED, receivedMs: c.FAXGATE_RETENTION_RECEIVED };
}

/** 30d, 36h, 90s: a retention as an admin wrote it, for logs and audit lines. */
export function formatRetention(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
