// Issue 17, "no page twice": the far machine prints every page it confirms, so a page the
// receiver confirmed is never sent again, whatever happens to the call or to our node. The
// simulated remote machine counts what it printed (simPrintedKey), and that count is the judge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { createRedis } from '@faxgate/queue';
import { simPrintedKey } from '@faxgate/node';
import { assertNothingFor, makePdf } from '@faxgate/testkit';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

let g: TestGateway;
before(async () => {
  g = await startTestGateway({
    FAXGATE_SIM_OUTCOMES: '+1212555021*=busy:1; +1212555022*=no-carrier@3:1; +1212555023*=no-carrier@1:1',
    FAXGATE_RETRY_BUSY_DELAY: '200ms',
    FAXGATE_RETRY_FAILED_DELAY: '200ms',
  });
});
after(async () => {
  await g?.dispose();
});

async function send(to: string, pdfPages: number, subject: string): Promise<string> {
  const attachments = pdfPages > 0 ? [{ filename: 'doc.pdf', content: await makePdf(g.dir.path, pdfPages, subject) }] : [];
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'pat@example.com', to, subject, text: 'x', attachments });
  const id = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  assert.ok(id, `no fax id in "${info.response}"`);
  return id;
}

/** How often the simulated remote machine printed each page of recipient 0 of a fax. */
async function printed(faxId: string): Promise<Record<string, number>> {
  const redis = createRedis(g.redis.url, 'background');
  try {
    const h = await redis.hgetall(simPrintedKey(g.env.FAXGATE_QUEUE_PREFIX, `${faxId}-r0-a1`));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  } finally {
    redis.disconnect();
  }
}

const resultMail = (faxId: string) => g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);

test('busy, then sent: the API shows no stale reason, error or retry time', async () => {
  const faxId = await send('12125550210@fax.test', 0, 'busy then sent');
  const mail = await resultMail(faxId);
  assert.match(mail.parsed.subject ?? '', /sent/);
  const view = await getFax(g.gw, faxId);
  const r = view.recipients[0];
  assert.deepEqual(r.attemptsDetail.map((a: { result: string }) => a.result), ['busy', 'success']);
  assert.equal(r.state, 'sent');
  assert.equal(r.result, 'success');
  assert.equal(r.reason, undefined, `reason left from the busy call: ${r.reason}`);
  assert.equal(r.nextAttemptAt, undefined, `retry time left from the busy call: ${r.nextAttemptAt}`);
  assert.equal(r.errorCode, undefined);
});

test('a call that failed after the receiver confirmed the last page is a success, not a retry', async () => {
  const faxId = await send('12125550220@fax.test', 2, 'lost in phase E');
  const mail = await resultMail(faxId);
  assert.match(mail.parsed.subject ?? '', /sent: 3 pages/);
  const view = await getFax(g.gw, faxId);
  assert.equal(view.recipients[0].state, 'sent');
  assert.equal(view.recipients[0].attempts, 1, 'no second call');
  assert.deepEqual(await printed(faxId), { 1: 1, 2: 1, 3: 1 }, 'each page printed once');
});

test('a call lost after page 1 resumes at page 2: every page printed once, confirmations recorded per page', async () => {
  const faxId = await send('12125550230@fax.test', 2, 'lost after page 1');
  const mail = await resultMail(faxId);
  assert.match(mail.parsed.subject ?? '', /sent: 3 pages/);
  const view = await getFax(g.gw, faxId);
  assert.deepEqual(view.recipients[0].attemptsDetail.map((a: { fromPage: number; pagesSent: number }) => [a.fromPage, a.pagesSent]), [[1, 1], [2, 2]]);
  assert.deepEqual(await printed(faxId), { 1: 1, 2: 1, 3: 1 });
});

test('the same number written three ways (+1…, 1…, national with dashes) in one message is one recipient: one call, one result mail', async () => {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({
    from: 'pat@example.com',
    to: ['+12125550250@fax.test', '12125550250@fax.test', '212-555-0250@fax.test'],
    subject: 'one number, three spellings',
    text: 'x',
  });
  assert.match(info.response, /queued as/);
  assert.equal(info.accepted.length, 3, `every spelling is accepted at RCPT: ${JSON.stringify(info.rejectedErrors?.map((e) => e.message))}`);
  const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)![1];
  await resultMail(faxId);
  const view = await getFax(g.gw, faxId);
  assert.equal(view.recipients.length, 1);
  assert.equal(view.recipients[0].number, '+12125550250');
  await assertNothingFor('a second result mail for the fax', () => g.sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId).length > 1, 1000);
  assert.deepEqual(await printed(faxId), { 1: 1 });
});
