import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inboundIdForKey, jobId, newFaxId, newInboundId, newPostmasterId, parseJobData, JOBS, type JobName } from './index.ts';

test('job ids are deterministic, contain no colon and are never digits only', () => {
  const faxId = newFaxId(1_700_000_000_000);
  const inboundId = newInboundId(1_700_000_000_000);
  const samples: Array<[JobName, object]> = [
    ['render-fax', { faxId }],
    ['schedule-recipient', { faxId, recipient: 2 }],
    ['call-outcome', { faxId, recipient: 2, attempt: 3 }],
    ['place-call', { faxId, recipient: 2, attempt: 3, fromPage: 1 }],
    ['result-mail', { faxId, recipient: 2 }],
    ['summary-mail', { faxId, key: 'c14' }],
    ['delay-notice', { faxId }],
    ['receive-call', { inboundId, did: '+12125550100', callingNumber: '4155550123', documentKey: `inbound/${inboundId}-offer.tif`, pool: 'sim' }],
    ['poll-received', { pool: 'hylafax' }],
    ['route-inbound', { inboundId }],
    ['inbound-mail', { inboundId, delivery: 1 }],
    ['postmaster-mail', { postmasterId: newPostmasterId(1_700_000_000_000) }],
    ['webhook-delivery', { webhookId: 'wh0123456789abcdef', eventId: '1700000000000-0', event: 'fax.sent', at: '2023-11-14T22:13:20.000Z', subject: 'fax', id: faxId, recipient: 0 }],
  ];
  const ids = new Set<string>();
  for (const [name, data] of samples) {
    const id = jobId(name, data as never);
    assert.equal(id, jobId(name, structuredClone(data) as never));
    assert.ok(!id.includes(':'), id);
    assert.ok(!/^\d+$/.test(id), id);
    ids.add(id);
  }
  assert.equal(ids.size, samples.length);
  assert.equal(Object.keys(JOBS).length, samples.length, 'every job name has a sample here');
});

test('fax ids sort by time and match the payload schema', () => {
  const a = newFaxId(1_000), b = newFaxId(2_000_000_000_000);
  assert.ok(a < b);
  assert.deepEqual(parseJobData('render-fax', { faxId: a }), { faxId: a });
  const pm = newPostmasterId();
  assert.deepEqual(parseJobData('postmaster-mail', { postmasterId: pm }), { postmasterId: pm });
  assert.throws(() => parseJobData('postmaster-mail', { postmasterId: a }), /postmaster-mail.*postmasterId/);
});

test('payloads from another version fail with a clear reason', () => {
  assert.throws(() => parseJobData('place-call', { faxId: newFaxId(), recipient: 0 }), /place-call.*attempt/);
  assert.throws(() => parseJobData('render-fax', { messageId: 'x' }), /render-fax.*faxId/);
});

test('inbound ids match their payload schema and other ids do not', () => {
  const id = newInboundId();
  assert.deepEqual(parseJobData('route-inbound', { inboundId: id }), { inboundId: id });
  assert.throws(() => parseJobData('route-inbound', { inboundId: newFaxId() }), /route-inbound.*inboundId/);
  assert.throws(() => parseJobData('receive-call', { inboundId: id, did: 'abc', callingNumber: '1', documentKey: 'k', pool: 'sim' }), /did/);
});

test('an inbound id from a stable key is the same for the same key and valid as a payload', () => {
  const a = inboundIdForKey('hylafax:recvq/fax000000012.tif@2026-11-29T10:00:00Z');
  assert.equal(a, inboundIdForKey('hylafax:recvq/fax000000012.tif@2026-11-29T10:00:00Z'));
  assert.notEqual(a, inboundIdForKey('hylafax:recvq/fax000000013.tif@2026-11-29T10:00:00Z'));
  assert.deepEqual(parseJobData('route-inbound', { inboundId: a }), { inboundId: a });
});
