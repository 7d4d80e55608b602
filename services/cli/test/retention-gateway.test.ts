// Issue 19: in a running gateway with short retentions, the elected dispatch purges a finished
// fax's message and pages on its schedule while a fax waiting for a retry keeps everything, and
// a received fax's pages once it is delivered; /metrics counts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { smtpDialogue, waitUntil } from '@faxgate/testkit';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import { inboundBlobKeys } from '@faxgate/store';
import { startTestGateway, getFax, simReceived } from './gateway-harness.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

test('short retentions: a finished fax loses its documents on the leader\'s schedule, a fax in flight keeps them', async (t) => {
  const g = await startTestGateway({
    FAXGATE_RETENTION_MESSAGES: '3s',
    FAXGATE_RETENTION_RENDERED: '3s',
    FAXGATE_RETENTION_RECEIVED: '3s',
    FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
    FAXGATE_RETENTION_INTERVAL: '1s',
    // A finished fax stays on the open list (in flight: its result mail reads the pages) until a
    // reconciler sweep closes it, two intervals after it was accepted.
    FAXGATE_RECONCILE_INTERVAL: '1s',
    FAXGATE_SIM_OUTCOMES: '+12125550199=busy',
    FAXGATE_RETRY_BUSY_DELAY: '10m',
  });
  t.after(() => g.dispose());
  const send = async (to: string) => {
    const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', 'MAIL FROM:<alice@example.com>', `RCPT TO:<${to}>`, 'DATA', `From: alice@example.com\r\nTo: ${to}\r\nSubject: x\r\n\r\nHello.\r\n.`]);
    assert.equal(r[5].code, 250, r[5].text);
    return /queued as (fx[0-9a-z]+)/.exec(r[5].text)![1];
  };
  const done = await send('12125550100@fax.test');
  const waiting = await send('12125550199@fax.test');
  const files = (id: string) => [join(g.dataDir, 'messages', `${id}.eml`), join(g.dataDir, 'faxes', id, 'r0.tif')];

  await waitUntil(`fax ${waiting} to wait for its retry`, async () => (await g.gw.ctx.records.getRecipient(waiting, 0))?.state === 'retry-wait', 30_000);
  // The finished fax's message, its rendered pages, and what the simulated remote printed (also
  // counted as rendered): purged in one run or in two, depending on when each got old enough.
  await waitUntil(`the message and pages of the finished fax ${done} to be purged`, async () => {
    for (const f of [...files(done), simReceived(g.dataDir, done, 0, 1)]) if (await exists(f)) return false;
    return true;
  }, 60_000);
  const view = await getFax(g.gw, done);
  assert.equal(view.state, 'done');
  assert.ok(view.documentsPurgedAt);
  const events = view.timeline.map((e: { event: string }) => e.event);
  assert.ok(events.includes('message purged') && events.includes('rendered fax purged'), events.join(', '));

  // The fax in flight is past its retention too, and kept: the runs say so.
  const metrics = await waitUntil('a run that kept the fax in flight', async () => {
    const text = await (await fetch(`${g.gw.httpUrl}/metrics`)).text();
    return /^faxgate_retention_kept_in_flight\{kind="messages"\} 1$/m.test(text) && text;
  }, 30_000);
  for (const f of files(waiting)) assert.equal(await exists(f), true, `${f} is kept`);
  assert.match(metrics, /^faxgate_retention_purged_total\{kind="messages"\} 1$/m);
  assert.match(metrics, /^faxgate_retention_purged_total\{kind="rendered"\} 2$/m, 'the rendered fax and the simulated remote\'s copy');
  assert.match(metrics, /^faxgate_retention_runs_total\{outcome="ok"\} \d+$/m);

  // A fax received on the simulated line and mailed to the fax desk: its pages in inbound/ go
  // once they are past the received faxes' retention, noted on its timeline; its record stays.
  const page = writeTiff([{ bitmap: createBitmap(1728, 200), xDpi: 204, yDpi: 196 }]);
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?${new URLSearchParams({ did: '+12125550111', from: '+14155550123' })}`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'image/tiff' }, body: page });
  assert.equal(offer.status, 202, await offer.clone().text());
  const { inboundId } = (await offer.json()) as { inboundId: string };
  await g.sink.waitFor((m) => m.to.includes('faxdesk@example.com'), 60_000);
  await waitUntil(`the pages of the delivered received fax ${inboundId} to be purged`, async () => !(await exists(join(g.dataDir, inboundBlobKeys.document(inboundId)))), 60_000);
  const rx = await g.gw.ctx.inbound.view(inboundId);
  assert.equal(rx?.state, 'delivered');
  assert.ok(rx?.timeline.some((e) => e.event === 'received fax purged'), JSON.stringify(rx?.timeline));
  await waitUntil('the received fax\'s purge to be counted', async () => /^faxgate_retention_purged_total\{kind="received"\} 1$/m.test(await (await fetch(`${g.gw.httpUrl}/metrics`)).text()), 10_000);
});
