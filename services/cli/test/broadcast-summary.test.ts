import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { assertNothingFor, parseDsnWithPython, smtpDialogue, waitUntil } from '@faxgate/testkit';
import { resolveRoles } from '../src/roles.ts';
import { startTestGateway, type TestGateway } from './gateway-harness.ts';

// A broadcast is reported once: one summary mail when its last recipient ends, listing every
// outcome (FaxPress/RightFax broadcast reports), and only once, whatever the notifier does.
let g: TestGateway;
before(async () => {
  // Everything but the notifier: the result-mail jobs wait until the test starts it.
  g = await startTestGateway({ FAXGATE_SIM_OUTCOMES: '+12125550301=rejected; +12125550302=busy:1', FAXGATE_RETRY_BUSY_DELAY: '200ms' }, ['console', 'inbound', 'node', 'dispatch', 'render', 'ingest']);
});
after(async () => {
  await g?.dispose();
});

async function send(to: string[], subject: string): Promise<string> {
  const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', 'MAIL FROM:<alice@example.com>', ...to.map((x) => `RCPT TO:<${x}>`), 'DATA', `From: Alice <alice@example.com>\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n\r\nTo everyone.\r\n.`]);
  const last = r[r.length - 1];
  assert.equal(last.code, 250, last.text);
  return /queued as (fx[0-9a-z]+)/.exec(last.text)![1];
}

const mailsOf = (faxId: string) => g.sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId);
const startNotifier = async (extra: Record<string, string> = {}): Promise<RunningGateway> => runRoles(await resolveRoles(['notifier']), { env: { ...g.env, ...extra } });

test('three recipients (sent, busy then sent, rejected): one summary mail with every outcome, once, even when the notifier restarts', async () => {
  const faxId = await send(['12125550300@fax.test', '12125550301@fax.test', '12125550302@fax.test'], 'Price list');
  await waitUntil('all three recipients to end', async () => {
    const v = await g.gw.ctx.records.view(faxId);
    return v?.recipients.every((r) => r.state === 'sent' || r.state === 'failed') ? v : undefined;
  }, 60_000);
  // The three result-mail jobs are waiting; a notifier running them at once (concurrency 4)
  // sees every recipient ended in each of them, and still one summary goes out.
  let notifier = await startNotifier();
  try {
    const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
    const dsn = parseDsnWithPython(mail.raw);
    assert.match(dsn.subject, /^Fax broadcast to 3 recipients: 2 sent, 1 FAILED \(Price list\)$/);
    assert.match(dsn.human, /1\. \+12125550300: sent, 1 of 1 pages/);
    assert.match(dsn.human, /2\. \+12125550301: FAILED after 1 call\(s\): the number does not exist/);
    assert.match(dsn.human, /3\. \+12125550302: sent, 1 of 1 pages/);
    assert.deepEqual(dsn.recipients.map((r) => [r['final-recipient'], r.action, r.status]), [
      ['rfc822; FAX=+12125550300@fax.test', 'delivered', '2.0.0'],
      ['rfc822; FAX=+12125550301@fax.test', 'failed', '5.1.1'],
      ['rfc822; FAX=+12125550302@fax.test', 'delivered', '2.0.0'],
    ]);
    assert.equal(mail.parsed.headers.get('x-faxgate-report'), 'broadcast-summary');
    await assertNothingFor('a second mail about the broadcast', () => mailsOf(faxId).length > 1 && mailsOf(faxId).map((m) => m.parsed.subject), 3_000);
    const view = await g.gw.ctx.records.view(faxId);
    assert.ok(view?.summaryMailSentAt, 'the summary is recorded on the fax');
    assert.ok(view?.recipients.every((r) => r.resultMailSentAt && r.reportedInSummary), 'each recipient is marked as reported in the summary');
  } finally {
    await notifier.stop();
  }
  // A notifier started again finds nothing to send.
  notifier = await startNotifier();
  try {
    await assertNothingFor('a mail about the broadcast after a notifier restart', () => mailsOf(faxId).length > 1, 3_000);
  } finally {
    await notifier.stop();
  }
});

test('FAXGATE_NOTIFY_BROADCAST=both: a mail per recipient and the summary', async () => {
  const faxId = await send(['12125550310@fax.test', '12125550311@fax.test'], 'Both ways');
  const notifier = await startNotifier({ FAXGATE_NOTIFY_BROADCAST: 'both' });
  try {
    await waitUntil('three mails (two recipients and the summary)', () => mailsOf(faxId).length >= 3, 60_000);
    await assertNothingFor('a fourth mail', () => mailsOf(faxId).length > 3, 2_000);
    const kinds = mailsOf(faxId).map((m) => String(m.parsed.headers.get('x-faxgate-report') ?? m.parsed.subject)).sort();
    assert.deepEqual(kinds, ['Fax to +12125550310 sent: 1 page', 'Fax to +12125550311 sent: 1 page', 'broadcast-summary']);
  } finally {
    await notifier.stop();
  }
});
