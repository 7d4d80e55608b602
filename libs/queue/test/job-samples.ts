import type { AnyJob } from '../src/index.ts';

/** One payload of every job name, as a producer of this release gives it to QueueSet.add. */
export const JOB_SAMPLES: AnyJob[] = [
  { name: 'render-fax', data: { faxId: 'fxfixture00001' } },
  { name: 'schedule-recipient', data: { faxId: 'fxfixture00001', recipient: 1 } },
  { name: 'call-outcome', data: { faxId: 'fxfixture00001', recipient: 1, attempt: 2 } },
  { name: 'place-call', data: { faxId: 'fxfixture00001', recipient: 1, attempt: 2, fromPage: 3 } },
  { name: 'result-mail', data: { faxId: 'fxfixture00001', recipient: 0 } },
  { name: 'summary-mail', data: { faxId: 'fxfixture00001', key: 'c5' } },
  { name: 'delay-notice', data: { faxId: 'fxfixture00001' } },
  { name: 'receive-call', data: { inboundId: 'infixture00001', did: '+12125550199', callingNumber: '+14155550123', documentKey: 'inbound/infixture00001-offer.tif', csid: '+1 415 555 0123', pool: 'sim' } },
  { name: 'poll-received', data: { pool: 'hylafax' } },
  { name: 'route-inbound', data: { inboundId: 'infixture00001' } },
  { name: 'inbound-mail', data: { inboundId: 'infixture00001', delivery: 0 } },
  { name: 'postmaster-mail', data: { postmasterId: 'pmfixture00001' } },
  { name: 'webhook-delivery', data: { webhookId: 'wh0123456789abcdef', eventId: '1796535609863-0', event: 'fax.sent', at: '2026-12-01T08:00:31.000Z', subject: 'fax', id: 'fxfixture00001', recipient: 0 } },
];
