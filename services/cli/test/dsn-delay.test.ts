import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertNothingFor, parseDsnWithPython, smtpDialogue, waitUntil } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { resolveRoles } from '../src/roles.ts';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// NOTIFY=DELAY (RFC 3461 §4.1): a fax still not delivered FAXGATE_NOTIFY_DELAY_WARNING after
// acceptance gets one "still trying" report (RFC 3464 Action: delayed, a 4.x.x status), as
// Postfix's delay_warning_time does; a recipient that did not ask gets none.
let g: TestGateway;
before(async () => {
  // Without the notifier at first: the test starts it once the first call has ended, so the
  // notice (due 3 s after acceptance) reports that call whatever the machine's load.
  g = await startTestGateway({ FAXGATE_SIM_OUTCOMES: '+1212555060*=busy:1000', FAXGATE_RETRY_BUSY_DELAY: '10m', FAXGATE_NOTIFY_DELAY_WARNING: '3s' }, ['console', 'inbound', 'node', 'dispatch', 'render', 'ingest']);
});
after(async () => {
  await g?.dispose();
});

async function send(rcpts: string[], envid: string): Promise<string> {
  const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', `MAIL FROM:<alice@example.com> RET=HDRS ENVID=${envid}`, ...rcpts.map((x) => `RCPT TO:${x}`), 'DATA', 'From: <alice@example.com>\r\nSubject: delayed\r\n\r\nStill trying?\r\n.']);
  const last = r[r.length - 1];
  assert.equal(last.code, 250, JSON.stringify(r));
  return /queued as (fx[0-9a-z]+)/.exec(last.text)![1];
}

test('a busy number with NOTIFY=DELAY,FAILURE: one delayed report after the warning time, naming the busy line; NOTIFY=FAILURE alone gets none', async () => {
  const asked = await send(['<12125550601@fax.test> NOTIFY=DELAY,FAILURE ORCPT=rfc822;12125550601@fax.test'], 'delay-1');
  const quiet = await send(['<12125550602@fax.test> NOTIFY=FAILURE'], 'delay-2');
  await waitUntil('the first (busy) call of both faxes to end', async () => (await Promise.all([asked, quiet].map((id) => getFax(g.gw, id)))).every((v) => v.recipients[0].state === 'retry-wait'), 60_000);
  const notifier = await runRoles(await resolveRoles(['notifier']), { env: g.env });
  try {
    const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === asked, 60_000);
    const dsn = parseDsnWithPython(mail.raw);
    assert.equal(dsn.per_message['original-envelope-id'], 'delay-1');
    assert.equal(dsn.recipients.length, 1);
    assert.equal(dsn.recipients[0].action, 'delayed');
    assert.equal(dsn.recipients[0].status, '4.4.5', 'the busy line, as a transient status');
    assert.equal(dsn.recipients[0]['original-recipient'], 'rfc822;12125550601@fax.test');
    assert.match(dsn.recipients[0]['diagnostic-code'], /1 call\(s\) so far; the last one: .*busy.*; still trying/);
    assert.match(dsn.human, /has not been delivered yet/);
    assert.equal((await getFax(g.gw, asked)).recipients[0].state, 'retry-wait', 'the fax is still waiting for its retry');
    await assertNothingFor('a second delayed report, or one for the fax that did not ask', () => g.sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === asked).length > 1 || g.sink.mails.find((m) => m.parsed.headers.get('x-faxgate-fax-id') === quiet), 4_000);
    // Only a fax with a recipient that asked for DELAY gets a delay-notice job at all.
    const notify = g.gw.ctx.queues.queue('notify');
    assert.ok(await notify.getJob(`delay-${asked}`), 'the asking fax has its delay-notice job');
    assert.equal(await notify.getJob(`delay-${quiet}`), undefined, 'the quiet fax has none');
  } finally {
    await notifier.stop();
  }
});
