import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertNothingFor, parseDsnWithPython, startPostfixRelay, waitUntil, type PostfixRelay, type ReceivedMail } from '@faxgate/testkit';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// RFC 3461/3464 end to end: a real Postfix in front of faxgate relays mail submitted with its
// own sendmail -N/-V/-R; the ESMTP DSN parameters reach faxgate only if it advertises DSN, and
// the result mail is judged by Python's email package, not by faxgate's code.
let g: TestGateway;
let postfix: PostfixRelay;

before(async () => {
  g = await startTestGateway({ FAXGATE_SIM_OUTCOMES: '+12125550166=rejected' });
  postfix = await startPostfixRelay({ host: '127.0.0.1', port: g.smtpPort });
});
after(async () => {
  await postfix?.stop();
  await g?.dispose();
});

const message = (subject: string) => `From: Alice <alice@example.com>\nSubject: ${subject}\n\nPlease fax this.\n`;

/** The fax id faxgate gave the message, from Postfix's log of the relay's 250 reply. */
async function faxIdRelayed(to: string, sinceLog: number): Promise<string> {
  return waitUntil(
    `Postfix to relay the mail to ${to} (its log: "status=sent ... queued as fx...")`,
    async () => {
      const log = (await postfix.log()).slice(sinceLog);
      return new RegExp(`to=<${to.replace(/[+.]/g, '\\$&')}>.*status=sent \\(250 2\\.0\\.0 Ok: queued as (fx[0-9a-z]+)\\)`).exec(log)?.[1];
    },
    60_000,
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\nPostfix log:\n${await postfix.log()}\nqueue:\n${await postfix.queue()}`);
  });
}

// The first fax of the run also pays for the renderer's cold start on a loaded machine.
const resultMail = (faxId: string): Promise<ReceivedMail> => g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 90_000);

test('sendmail -N success,failure -V <envid> -R hdrs through Postfix: a multipart/report with the ENVID echoed, the recipient delivered (2.0.0) with its ORCPT, and the headers returned', async () => {
  const envid = `fg-${randomBytes(4).toString('hex')}`;
  const mark = (await postfix.log()).length;
  await postfix.sendmail(['-f', 'alice@example.com', '-N', 'success,failure', '-V', envid, '-R', 'hdrs'], ['12125550100@fax.test'], message('DSN success'));
  const faxId = await faxIdRelayed('12125550100@fax.test', mark);
  const mail = await resultMail(faxId);
  assert.deepEqual(mail.to, ['alice@example.com']);
  assert.equal(mail.from, '', 'a DSN is sent with the null reverse-path (RFC 3461 §6.2)');
  const dsn = parseDsnWithPython(mail.raw);
  assert.equal(dsn.content_type, 'multipart/report');
  assert.equal(dsn.report_type, 'delivery-status');
  assert.equal(dsn.per_message['original-envelope-id'], envid, 'the ENVID Postfix passed on is echoed');
  assert.equal(dsn.recipients.length, 1);
  assert.equal(dsn.recipients[0].action, 'delivered');
  assert.equal(dsn.recipients[0].status, '2.0.0');
  assert.equal(dsn.recipients[0]['original-recipient'], 'rfc822;12125550100@fax.test', 'the ORCPT Postfix added');
  assert.equal(dsn.recipients[0]['final-recipient'], 'rfc822; FAX=+12125550100@fax.test');
  assert.equal(dsn.recipients[0]['remote-mta'], 'x-fax-csid; +1 555 0100 SIMFAX');
  assert.equal(dsn.returned?.kind, 'headers');
  assert.match(dsn.returned?.kind === 'headers' ? dsn.returned.text : '', /Subject: DSN success/);
  assert.match(dsn.human, /was sent/);
  assert.doesNotMatch(await postfix.log(), /sender delivery status notification/, 'Postfix left the DSN to faxgate (it advertised DSN) and sent none of its own');
});

test('a broadcast with -N failure: one summary mail; its report lists only the failed recipient (5.1.1), its text every outcome', async () => {
  const envid = `fg-${randomBytes(4).toString('hex')}`;
  const mark = (await postfix.log()).length;
  await postfix.sendmail(['-f', 'alice@example.com', '-N', 'failure', '-V', envid], ['12125550101@fax.test', '12125550166@fax.test'], message('DSN broadcast'));
  const faxId = await faxIdRelayed('12125550101@fax.test', mark);
  const mail = await resultMail(faxId);
  const dsn = parseDsnWithPython(mail.raw);
  assert.equal(dsn.per_message['original-envelope-id'], envid);
  assert.match(dsn.subject, /Fax broadcast to 2 recipients: 1 sent, 1 FAILED/);
  assert.deepEqual(dsn.recipients.map((r) => [r['original-recipient'], r.action, r.status]), [['rfc822;12125550166@fax.test', 'failed', '5.1.1']]);
  assert.match(dsn.recipients[0]['diagnostic-code'], /^x-fax; the number does not exist/);
  assert.match(dsn.human, /\+12125550101: sent/);
  assert.match(dsn.human, /\+12125550166: FAILED/);
  await assertNothingFor('a second mail about this broadcast', () => g.sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId).length > 1 && 'two mails', 3_000);
});

test('sendmail -N never: the fax goes out and no result mail comes back', async () => {
  const mark = (await postfix.log()).length;
  await postfix.sendmail(['-f', 'alice@example.com', '-N', 'never'], ['12125550102@fax.test'], message('DSN never'));
  const faxId = await faxIdRelayed('12125550102@fax.test', mark);
  await waitUntil('the fax to be sent', async () => (await getFax(g.gw, faxId)).state === 'done', 60_000);
  await waitUntil('the notifier to record that no mail was asked for', async () => (await getFax(g.gw, faxId)).timeline.find((e: { event: string; detail?: string }) => e.event === 'no result mail' && /NOTIFY=NEVER/.test(e.detail ?? '')), 30_000);
  await assertNothingFor('a result mail for a NOTIFY=NEVER fax', () => g.sink.mails.find((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId), 2_000);
});
