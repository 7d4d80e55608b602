import type { FaxRecords, InboundRecords } from '@faxgate/store';
import type { JobData } from '@faxgate/queue';

/**
 * The JSON body of an event (docs/api.md, "Webhooks"): `{ id, type, created_at, data }`, with
 * `data` read from the records at the time of the try (a retry an hour later shows the fax as it
 * is then; `type` and `created_at` say what happened when).
 */
export async function webhookBody(ev: JobData<'webhook-delivery'>, records: FaxRecords, inbound: InboundRecords): Promise<string> {
  const base = { id: `evt_${ev.eventId}`, type: ev.event, created_at: ev.at };
  if (ev.subject === 'fax') {
    const fax = await records.getFax(ev.id);
    const r = ev.recipient !== undefined ? await records.getRecipient(ev.id, ev.recipient) : undefined;
    const data = {
      fax_id: ev.id,
      ...(fax ? { state: fax.state, sender: fax.sender, user: fax.authUser ?? null, subject: fax.subject ?? null, created_at: fax.createdAt, recipients: fax.recipientCount } : { state: 'purged' }),
      ...(r
        ? { recipient: { index: r.index, number: r.number, name: r.name ?? null, state: r.state, pages_sent: r.pagesSent, pages_total: r.pagesTotal ?? null, attempts: r.attempts, remote_id: r.remoteId ?? null, error_code: r.errorCode ?? null, reason: r.reason ?? null } }
        : {}),
      status_url: `/api/v1/faxes/${ev.id}`,
    };
    return JSON.stringify({ ...base, data });
  }
  const rec = await inbound.get(ev.id);
  const data = {
    inbound_id: ev.id,
    ...(rec ? { state: rec.state, did: rec.did, calling_number: rec.callingNumber, csid: rec.csid ?? null, pages: rec.pages, partial: rec.partial, user: rec.route?.user ?? null, route: rec.route ?? null, received_at: rec.receivedAt ?? null } : { state: 'purged' }),
    status_url: `/api/v1/inbound/${ev.id}`,
    document_url: `/api/v1/inbound/${ev.id}/document`,
  };
  return JSON.stringify({ ...base, data });
}

/** The body `faxgate webhooks test` sends: shaped like a fax.sent event, marked as a test. */
export function testWebhookBody(webhookId: string, user: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    id: `evt_test_${Date.now()}`,
    type: 'webhook.test',
    created_at: now,
    data: { webhook_id: webhookId, user, test: true, fax_id: 'fx000000000example', state: 'done', recipient: { index: 0, number: '+12125550100', state: 'sent', pages_sent: 1 } },
  });
}
