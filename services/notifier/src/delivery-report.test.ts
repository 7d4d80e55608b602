import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaxView } from '@faxgate/store';
import { parseDsnWithPython as parse } from '@faxgate/testkit';
import { composeResultMail } from './result-mail.ts';
import { composeSummaryMail, summaryKey } from './summary-mail.ts';
import { composeDelayNotice } from './delay-notice.ts';

// Python's email package is the judge: what it reads out of the report is what MTAs and mail
// clients read (RFC 3464 fields), not what faxgate's own code thinks it wrote.

const FROM = '"faxgate" <faxgate@fax.example.com>';
const ORIGINAL = 'From: Alice <alice@example.com>\r\nTo: 12125550100@fax.test\r\nSubject: Contract\r\nMessage-ID: <m1@example.com>\r\n\r\nPlease sign.\r\n';

function recipient(index: number, number: string, state: 'sent' | 'failed' | 'calling', extra: Partial<FaxView['recipients'][number]> = {}): FaxView['recipients'][number] {
  return { index, address: `${number.slice(1)}@fax.test`, number, dialString: number.slice(1), state, pagesTotal: 2, pagesSent: state === 'sent' ? 2 : 0, attempts: 1, connectedAttempts: 1, durationMs: 40_000, attemptsDetail: [], ...extra };
}

function fax(recipients: FaxView['recipients']): FaxView {
  return { id: 'fx000000000abcdef0123', state: 'done', createdAt: '2026-12-06T04:00:00.000Z', sender: 'alice@example.com', subject: 'Contract', messageId: '<m1@example.com>', senderTrust: 'authenticated', messageKey: 'm', messageBytes: 1, recipientCount: recipients.length, timeline: [], dsn: { ret: 'HDRS', envid: 'QQ314159' }, recipients };
}

test('a failed recipient: multipart/report with the ENVID, ORCPT, the fax number, action failed, its status and reason, and the headers returned (RET=HDRS)', async () => {
  const f = fax([recipient(0, '+12125550100', 'failed', { errorCode: 'LINE_BUSY', reason: 'the line was busy (gave up after 12 calls)', orcpt: 'rfc822;12125550100@fax.test', notify: ['FAILURE'], finishedAt: '2026-12-06T05:00:00.000Z' })]);
  const mail = await composeResultMail({ fax: f, recipient: 0, from: FROM, reportingMta: 'gw.example.com', returned: { kind: 'headers', content: Buffer.from(ORIGINAL.split('\r\n\r\n')[0] + '\r\n\r\n') } });
  const p = parse(mail.raw as Buffer);
  assert.equal(p.content_type, 'multipart/report');
  assert.equal(p.report_type, 'delivery-status');
  assert.deepEqual(p.parts, ['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
  assert.equal(p.per_message['reporting-mta'], 'dns; gw.example.com');
  assert.equal(p.per_message['original-envelope-id'], 'QQ314159');
  assert.equal(p.per_message['arrival-date'], 'Sun, 06 Dec 2026 04:00:00 +0000');
  assert.equal(p.recipients.length, 1);
  const r = p.recipients[0];
  assert.equal(r['original-recipient'], 'rfc822;12125550100@fax.test');
  assert.equal(r['final-recipient'], 'rfc822; FAX=+12125550100@fax.test');
  assert.equal(r.action, 'failed');
  assert.equal(r.status, '5.4.5');
  assert.equal(r['diagnostic-code'], 'x-fax; the line was busy (gave up after 12 calls)');
  assert.match(p.human, /could not be sent/);
  assert.match((p.returned as { text: string }).text, /Subject: Contract/);
  assert.doesNotMatch((p.returned as { text: string }).text, /Please sign/, 'RET=HDRS returns no body');
  assert.equal(mail.envelope && (mail.envelope as { from: string }).from, '', 'a DSN goes out with the null reverse-path');
});

test('a sent recipient with RET=FULL: action delivered, 2.0.0, the far CSID as Remote-MTA, the whole message returned, the PDF in the human part', async () => {
  const f = { ...fax([recipient(0, '+12125550100', 'sent', { remoteId: '+1 212 555 0100' })]), dsn: { ret: 'FULL' as const } };
  const mail = await composeResultMail({ fax: f, recipient: 0, from: FROM, pdf: Buffer.from('%PDF-1.4 test'), returned: { kind: 'full', content: Buffer.from(ORIGINAL) } });
  const p = parse(mail.raw as Buffer);
  assert.deepEqual(p.parts, ['multipart/mixed', 'mixed:text/plain', 'mixed:application/pdf', 'message/delivery-status', 'message/rfc822']);
  assert.equal(p.recipients[0].action, 'delivered');
  assert.equal(p.recipients[0].status, '2.0.0');
  assert.equal(p.recipients[0]['remote-mta'], 'x-fax-csid; +1 212 555 0100');
  assert.equal(p.recipients[0]['original-recipient'], undefined, 'no ORCPT given, no Original-Recipient');
  assert.equal(p.per_message['original-envelope-id'], undefined, 'no ENVID given, none echoed');
  assert.equal(p.returned?.kind === 'full' && p.returned.subject, 'Contract');
  assert.match(p.returned?.kind === 'full' ? p.returned.body : '', /Please sign/);
});

test('a broadcast summary lists every outcome in words and reports the recipients that asked, with their own statuses', async () => {
  const f = fax([
    recipient(0, '+12125550100', 'sent', { name: 'Jane Doe' }),
    recipient(1, '+12125550101', 'failed', { errorCode: 'NUMBER_REJECTED', reason: 'the number does not exist or cannot be reached', attempts: 1 }),
    recipient(2, '+12125550102', 'failed', { errorCode: 'NO_ANSWER', reason: 'nobody answered the call', attempts: 3, notify: ['NEVER'] }),
  ]);
  const mail = await composeSummaryMail({ fax: f, reported: [0, 1], from: FROM, key: summaryKey(f) });
  assert.equal(mail.messageId, '<summary-fx000000000abcdef0123-c5@fax.example.com>');
  const p = parse(mail.raw as Buffer);
  assert.match(p.subject, /Fax broadcast to 3 recipients: 1 sent, 2 FAILED/);
  for (const line of [/\+12125550100 \(Jane Doe\): sent, 2 of 2 pages/, /\+12125550101: FAILED after 1 call\(s\): the number does not exist/, /\+12125550102: FAILED after 3 call\(s\): nobody answered/]) assert.match(p.human, line);
  assert.deepEqual(p.recipients.map((r) => [r['final-recipient'], r.action, r.status]), [
    ['rfc822; FAX=+12125550100@fax.test', 'delivered', '2.0.0'],
    ['rfc822; FAX=+12125550101@fax.test', 'failed', '5.1.1'],
  ]);
});

test('the delay notice: action delayed with a 4.x.x status for the recipients still waiting', async () => {
  const f = fax([recipient(0, '+12125550100', 'calling', { attempts: 2, notify: ['DELAY', 'FAILURE'], attemptsDetail: [{ attempt: 2, startedAt: '2026-12-06T04:30:00.000Z', endedAt: '2026-12-06T04:31:00.000Z', result: 'busy', fromPage: 1, reason: 'the line was busy' }] })]);
  const mail = await composeDelayNotice({ fax: f, delayed: [0], from: FROM, afterMs: 4 * 3_600_000 });
  const p = parse(mail.raw as Buffer);
  assert.equal(p.recipients[0].action, 'delayed');
  assert.equal(p.recipients[0].status, '4.4.5');
  assert.match(p.recipients[0]['diagnostic-code'], /2 call\(s\) so far; the last one: the line was busy; still trying/);
  assert.match(p.human, /has not been delivered yet .* after 4 hour/);
});
