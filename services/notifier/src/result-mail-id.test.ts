import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaxView } from '@faxgate/store';
import { composeResultMail } from './result-mail.ts';

const fax = (attempts: number): FaxView => ({
  id: 'fx000000000abcdef0123',
  state: 'done',
  createdAt: '2026-12-06T00:00:00.000Z',
  sender: 'pat@example.com',
  messageKey: 'm',
  messageBytes: 1,
  recipientCount: 1,
  timeline: [],
  recipients: [{ index: 0, address: '12125550100@fax.test', number: '+12125550100', dialString: '12125550100', state: 'sent', pagesTotal: 1, pagesSent: 1, attempts, connectedAttempts: attempts, durationMs: 1000, attemptsDetail: [] }],
});

test('a result mail composed again for the same outcome has the same Message-ID; a later outcome a new one', async () => {
  const from = '"faxgate" <faxgate@fax.example.com>';
  const a = await composeResultMail({ fax: fax(2), recipient: 0, from });
  const b = await composeResultMail({ fax: fax(2), recipient: 0, from });
  const c = await composeResultMail({ fax: fax(3), recipient: 0, from });
  assert.equal(a.messageId, '<result-fx000000000abcdef0123-r0-a2@fax.example.com>');
  assert.equal(b.messageId, a.messageId, 'a redelivery after a crash is the same message');
  assert.notEqual(c.messageId, a.messageId);
});
