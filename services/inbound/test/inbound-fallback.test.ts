import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningGateway } from '@faxgate/runtime';
import { waitUntil, type TempDir } from '@faxgate/testkit';
import { finished, makeFaxTiff, offerCall, startInboundGateway, startRefusingSmarthost } from './helpers.ts';

let g: Awaited<ReturnType<typeof startInboundGateway>>;
let smtp: Awaited<ReturnType<typeof startRefusingSmarthost>>;
let dir: TempDir;
let gw: RunningGateway;

before(async () => {
  smtp = await startRefusingSmarthost();
  g = await startInboundGateway('faxgate-inbound-fallback', `unaddressed: [faxadmin@example.com, backup-admin@example.com]
users:
  - id: gone
    emails: [gone@bounce.example]
    format: tiff
    dids: ["+12125550123"]
`, { FAXGATE_JOB_BACKOFF: '20ms', FAXGATE_INBOUND_MAIL_ATTEMPTS: '3' }, smtp.url);
  ({ gw, dir } = g);
});

after(async () => {
  await g?.dispose();
  await smtp?.close();
});

test('a fax its owner\'s mail server keeps refusing goes to the unaddressed mailbox after the last try, never dropped', async () => {
  const tiff = await makeFaxTiff(dir.path, 1, 'Bounced');
  const id = await offerCall(gw, tiff, { did: '+12125550123', from: '+16175550000', csid: 'SENDER' });
  const rec = await finished(gw, id);
  assert.equal(rec.state, 'delivered', 'delivered, through the fallback');
  assert.deepEqual(rec.deliveries.map((d) => [d.index, d.to.join(','), d.state, d.attempts, d.fallbackFor]), [
    [0, 'gone@bounce.example', 'failed', 3, undefined],
    [1, 'faxadmin@example.com,backup-admin@example.com', 'sent', 1, 0],
  ]);
  assert.match(rec.deliveries[0].error ?? '', /552|mailbox full/);
  assert.equal(smtp.refusals(), 3, 'each try reached the smarthost');
  assert.ok(rec.timeline.some((e) => e.event === 'delivery failed' && /sent to the unaddressed mailbox as delivery 1/.test(e.detail ?? '')));

  const mail = await waitUntil('the fallback mail', () => smtp.mails.find((m) => m.parsed.headers.get('x-faxgate-inbound-id') === id), 10_000);
  assert.deepEqual(mail.to.sort(), ['backup-admin@example.com', 'faxadmin@example.com']);
  assert.equal(mail.parsed.subject, 'Fax from SENDER, 1 page');
  assert.match(mail.parsed.text ?? '', /could not be delivered there: .*(552|mailbox full)/);
  assert.deepEqual(mail.parsed.attachments.map((a) => a.contentType).sort(), ['image/png', 'image/tiff'], 'in the owner\'s format');

  const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  assert.match(metrics, /^faxgate_inbound_mails_total\{outcome="retry"\} 2$/m);
  assert.match(metrics, /^faxgate_inbound_mails_total\{outcome="failed"\} 1$/m);
  assert.match(metrics, /^faxgate_inbound_mails_total\{outcome="sent"\} 1$/m);
  assert.match(metrics, /^faxgate_inbound_routed_total\{rule="did"\} 1$/m);
});
