import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryRecord, InboundRecord } from '@faxgate/store';
import { composeReceivedFaxMail } from './received-fax-mail.ts';

const fax: InboundRecord = {
  id: 'in0000000000abcdef01', state: 'routed', createdAt: '2026-11-29T10:00:00.000Z', receivedAt: '2026-11-29T10:01:05.000Z',
  did: '+12125550100', callingNumber: '', pool: 'sim', line: 'sim/n1/2', pages: 3, badRows: 0, partial: false, durationMs: 65_000, deliveryCount: 1,
};
const delivery: DeliveryRecord = { index: 0, user: 'jdoe', to: ['a@example.com', 'b@example.com'], format: 'pdf', state: 'pending', attempts: 0 };

test('the subject names the CSID, else the number, else says it is unknown', () => {
  const m = (f: Partial<InboundRecord>) => composeReceivedFaxMail({ fax: { ...fax, ...f }, delivery, from: 'fax@x.example' }).subject;
  assert.equal(m({ csid: '  ACME  ', callingNumber: '+14155550123' }), 'Fax from ACME, 3 pages');
  assert.equal(m({ callingNumber: '+14155550123', pages: 1 }), 'Fax from +14155550123, 1 page');
  assert.equal(m({}), 'Fax from unknown sender, 3 pages');
  assert.equal(m({ csid: 'X', partial: true, pages: 2 }), 'Fax from X, 2 pages (incomplete)');
});

test('the caller name, where the line delivered one, is in the body and a header', () => {
  const mail = composeReceivedFaxMail({ fax: { ...fax, callingNumber: '5550120', callingName: 'Modem B' }, delivery, from: 'fax@x.example' });
  assert.match(String(mail.text), /From number: +5550120\n +From name: +Modem B\n/);
  assert.equal((mail.headers as Record<string, string>)['X-Faxgate-Calling-Name'], 'Modem B');
});

test('the body has the call details and every warning; the HTML escapes what the remote sent', () => {
  const mail = composeReceivedFaxMail({
    fax: { ...fax, csid: '<b>EVIL</b>', badRows: 1, partial: true, reason: 'the connection was lost after page 3 of 5' },
    delivery: { ...delivery, fallbackFor: 2 },
    from: 'fax@x.example',
    pdf: new Uint8Array([37, 80, 68, 70]),
    preview: Buffer.from('png'),
    fallbackReason: '552 mailbox full',
  });
  const text = String(mail.text);
  assert.match(text, /Received: +2026-11-29T10:01:05.000Z/);
  assert.match(text, /Duration: +1 min 5 s/);
  assert.match(text, /From number: +not given/);
  assert.doesNotMatch(text, /From name:/, 'no name line when the line delivered none');
  assert.equal((mail.headers as Record<string, string>)['X-Faxgate-Calling-Name'], undefined);
  assert.match(text, /Line: +sim\/n1\/2 \(pool sim\)/);
  assert.match(text, /only the 3 pages received are attached \(the connection was lost after page 3 of 5\)/);
  assert.match(text, /1 row was damaged on the line/);
  assert.match(text, /could not be delivered there: 552 mailbox full/);
  assert.doesNotMatch(String(mail.html), /<b>EVIL/);
  assert.match(String(mail.html), /&lt;b&gt;EVIL&lt;\/b&gt;/);
  assert.deepEqual(mail.to, ['a@example.com', 'b@example.com']);
  assert.deepEqual(mail.attachments?.map((a) => [a.filename, a.contentType, a.cid ?? '']), [
    ['page1.png', 'image/png', 'page1@faxgate'],
    [`fax-${fax.id}.pdf`, 'application/pdf', ''],
  ]);
});
