import type { AuditEvent } from '@faxgate/audit';

/** The events a webhook can subscribe to (docs/api.md, "Webhooks"). */
export const WEBHOOK_EVENTS = ['fax.queued', 'fax.sent', 'fax.failed', 'fax.cancelled', 'fax.received'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** What `faxgate webhooks test` sends: never emitted by a fax. */
export const TEST_EVENT = 'webhook.test';

/**
 * The webhook event an audit line stands for, if any. Every timeline event is an audit line
 * written in the same MULTI as the record change (libs/store), so tailing the audit stream sees
 * each outcome exactly where dispatch, the node, intake and the inbound router decided it,
 * without any of them knowing about webhooks.
 */
export function webhookEventOf(e: AuditEvent): WebhookEventType | undefined {
  if (e.subject === 'fax') {
    if (e.event === 'accepted') return 'fax.queued';
    if (e.recipient === undefined) return undefined;
    if (e.event === 'sent') return 'fax.sent';
    if (e.event === 'failed' || e.event === 'kill time reached') return 'fax.failed';
    if (e.event === 'cancelled') return 'fax.cancelled';
    return undefined;
  }
  // A received fax is announced once it is routed: its owner (the directory user) is known then.
  if (e.subject === 'inbound' && e.event === 'routed') return 'fax.received';
  return undefined;
}
