import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseDsnWithPython, smtpDialogue, waitUntil } from '@faxgate/testkit';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// Pages per day per sender: known only after render, so checked before a recipient's first
// call; the fax that would pass the limit fails without a call and its result mail says why.
let g: TestGateway;
before(async () => {
  g = await startTestGateway({ FAXGATE_QUOTA_SENDER_PAGES_PER_DAY: '2', FAXGATE_NOTIFY_BROADCAST: 'each' });
});
after(async () => {
  await g?.dispose();
});

async function send(from: string, to: string): Promise<string> {
  const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA', `From: <${from}>\r\nSubject: quota\r\n\r\nOne page.\r\n.`]);
  const last = r[r.length - 1];
  assert.equal(last.code, 250, last.text);
  return /queued as (fx[0-9a-z]+)/.exec(last.text)![1];
}

const ended = (faxId: string) => waitUntil(`fax ${faxId} to end`, async () => {
  const v = await getFax(g.gw, faxId);
  return v.recipients.every((r: { state: string }) => r.state === 'sent' || r.state === 'failed') ? v : undefined;
}, 60_000);

test('a sender past its pages per day: the fax fails before any call with QUOTA_PAGES, the result mail says why (5.7.1); another sender still faxes', async () => {
  const first = await ended(await send('pat@example.com', '12125550700@fax.test'));
  const pages = first.recipients[0].pagesTotal;
  assert.ok(pages >= 1 && pages <= 2, `a short text fax has 1 or 2 pages (has ${pages})`);
  const faxes = [first];
  // Send until the next fax would pass 2 pages.
  while (faxes.reduce((n, v) => n + v.recipients[0].pagesTotal, 0) + pages <= 2) faxes.push(await ended(await send('pat@example.com', '12125550701@fax.test')));
  for (const v of faxes) assert.equal(v.recipients[0].state, 'sent');
  const overId = await send('pat@example.com', '12125550702@fax.test');
  const over = await ended(overId);
  const r = over.recipients[0];
  assert.equal(r.state, 'failed');
  assert.equal(r.errorCode, 'QUOTA_PAGES');
  assert.equal(r.attempts, 0, 'no call was made');
  assert.match(r.reason, new RegExp(`pat@example\\.com has faxed ${faxes.length * pages} of 2 pages today \\(UTC\\) and this fax has ${pages}`));
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === overId, 30_000);
  const dsn = parseDsnWithPython(mail.raw);
  assert.equal(dsn.recipients[0].action, 'failed');
  assert.equal(dsn.recipients[0].status, '5.7.1');
  assert.match(dsn.recipients[0]['diagnostic-code'], /daily page quota/);
  const other = await ended(await send('quinn@example.com', '12125550703@fax.test'));
  assert.equal(other.recipients[0].state, 'sent', 'the limit is per sender');
});
