import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress, resolveTarget, urlProblem } from './webhook-target.ts';
import { webhookEventOf } from './webhook-events.ts';

test('loopback, RFC 1918, link-local, CGNAT, unique-local and mapped addresses are private; public ones are not', () => {
  for (const a of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a);
  assert.equal(isPrivateAddress('not-an-ip'), true, 'anything unparsable is refused');
});

test('only http(s) URLs without credentials; a private literal host is refused unless allowed', async () => {
  assert.match(urlProblem('ftp://example.com/') ?? '', /only http and https/);
  assert.match(urlProblem('https://user:pw@example.com/') ?? '', /no credentials/);
  assert.match(urlProblem('not a url') ?? '', /not a URL/);
  assert.equal(urlProblem('https://hooks.example.com/fax'), undefined);
  await assert.rejects(resolveTarget('http://127.0.0.1:8080/x', false), /private or loopback address \(127\.0\.0\.1\)/);
  await assert.rejects(resolveTarget('http://[fd12::1]/x', false), /private or loopback/);
  assert.equal((await resolveTarget('http://127.0.0.1:8080/x', true)).address, '127.0.0.1');
  assert.equal((await resolveTarget('http://8.8.8.8/x', false)).address, '8.8.8.8');
});

test('audit lines map to webhook events where the outcome is decided', () => {
  const at = '2026-12-06T06:00:00.000Z';
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'accepted' }), 'fax.queued');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'sent', recipient: 0 }), 'fax.sent');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'failed', recipient: 1 }), 'fax.failed');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'kill time reached', recipient: 1 }), 'fax.failed');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'cancelled', recipient: 0 }), 'fax.cancelled');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'failed' }), undefined, 'a fax-level line without a recipient is not an outcome');
  assert.equal(webhookEventOf({ at, subject: 'fax', id: 'fx1', event: 'retry scheduled', recipient: 0 }), undefined);
  assert.equal(webhookEventOf({ at, subject: 'inbound', id: 'in1', event: 'routed' }), 'fax.received');
  assert.equal(webhookEventOf({ at, subject: 'system', id: '', event: 'purged' }), undefined);
});
