// Issue 19: the audit trail records every fax's life as it really happens in a running gateway,
// not only lines a test writes itself: a fax accepted over SMTP, rendered, dialled busy and then
// sent, with its result mail; a fax cancelled by an operator while it waits for a retry; a fax
// received on a line and mailed; and the admin's purges of the first and of the received fax,
// each leaving its own line beside the ones before it. Exported by date range through the API as JSON lines and CSV.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { smtpDialogue, waitUntil } from '@faxgate/testkit';
import { inboundBlobKeys } from '@faxgate/store';
import { startTestGateway, renderedTiff, getFax, type TestGateway } from './gateway-harness.ts';

let g: TestGateway;
before(async () => {
  g = await startTestGateway({
    // 0191 is busy on its first call; 0192 never answers and waits a minute between calls.
    FAXGATE_SIM_OUTCOMES: '+12125550191=busy:1; +12125550192=no-answer',
    FAXGATE_RETRY_BUSY_DELAY: '300ms',
    FAXGATE_RETRY_NO_ANSWER_DELAY: '60s',
    FAXGATE_NODE_LINES: '2',
    // A finished fax is purgeable once the reconciler has closed it (its last jobs checked).
    FAXGATE_RECONCILE_INTERVAL: '1s',
    FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
  });
});
after(async () => {
  await g?.dispose();
});

const admin = { authorization: `Basic ${Buffer.from('admin:console-pass').toString('base64')}`, 'content-type': 'application/json' };
interface AuditLine { at: string; subject: string; id: string; recipient?: number; event: string; detail?: string; actor?: string }

async function sendMail(to: string, subject: string): Promise<string> {
  const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', 'MAIL FROM:<web@server.example>', `RCPT TO:<${to}>`, 'DATA', `From: Alice <alice@example.com>\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nPlease sign.\r\n.`]);
  const last = r[r.length - 1];
  assert.equal(last.code, 250, last.text);
  return /queued as (fx[0-9a-z]+)/.exec(last.text)![1];
}

/** Asserts that `expected` occurs in `events` in this order (other events may come between). */
function assertInOrder(events: string[], expected: string[], what: string): void {
  let at = 0;
  for (const e of expected) {
    const i = events.indexOf(e, at);
    assert.ok(i >= 0, `${what}: no '${e}' after position ${at} in ${JSON.stringify(events)}`);
    at = i + 1;
  }
}

test('a running gateway\'s audit export holds each fax\'s life: accepted, rendered, every call and its outcome, result mail, cancel, reception, purge', async () => {
  const from = new Date(Date.now() - 1_000).toISOString();
  const sent = await sendMail('12125550191@fax.test', 'busy then sent');
  const cancelled = await sendMail('12125550192@fax.test', 'never answered');

  // The first is sent on its second call and reported to its sender.
  await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === sent, 60_000);
  // The second has had its first call and waits a minute for the next: an operator cancels it.
  await waitUntil(`fax ${cancelled} to wait for its retry after no answer`, async () => {
    const f = await getFax(g.gw, cancelled);
    return f.recipients[0].state === 'retry-wait' && f.recipients[0].attempts === 1;
  }, 60_000, 100);
  const cancel = await fetch(`${g.gw.httpUrl}/api/v1/faxes/${cancelled}/cancel`, { method: 'POST', headers: admin, body: JSON.stringify({ reason: 'wrong number' }) });
  assert.equal(cancel.status, 200, await cancel.clone().text());
  await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === cancelled, 60_000);

  // A fax comes in on a simulated line (the first fax's own pages) and is mailed to the fax desk.
  const tiff = await readFile(renderedTiff(g.dataDir, sent, 0));
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?${new URLSearchParams({ did: '+12125550111', from: '+14155550123' })}`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'image/tiff' }, body: tiff });
  assert.equal(offer.status, 202, await offer.clone().text());
  await g.sink.waitFor((m) => m.to.includes('faxdesk@example.com'), 60_000);

  // Purge of the first fax (a data-subject request): refused (409) until the reconciler has
  // closed the finished fax, then done once.
  let refusal = '';
  await waitUntil(`the purge of fax ${sent} to be accepted`, async () => {
    const purge = await fetch(`${g.gw.httpUrl}/api/v1/faxes/${sent}/purge`, { method: 'POST', headers: admin, body: JSON.stringify({ reason: 'DSR-42' }) });
    if (purge.status === 409) return void (refusal = await purge.text());
    assert.equal(purge.status, 200, await purge.clone().text());
    return true;
  }, 30_000, 250).catch((err: Error) => {
    throw new Error(`${err.message}; last refusal: ${refusal}`);
  });

  // Up to now: both exports below cover the same lines, whatever the gateway writes meanwhile.
  const to = new Date().toISOString();
  const jsonl = await fetch(`${g.gw.httpUrl}/api/v1/audit?${new URLSearchParams({ from, to, format: 'jsonl' })}`, { headers: admin });
  assert.equal(jsonl.status, 200);
  const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as AuditLine);
  const of = (id: string) => lines.filter((l) => l.id === id);
  const events = (id: string) => of(id).map((l) => l.event);
  const dump = `\n--- audit export ---\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;

  // The sent and purged fax: every step, each call with its outcome, and the purge last; its
  // lines from before the purge are kept.
  assertInOrder(events(sent), ['accepted', 'rendered', 'dialing', 'call busy', 'retry scheduled', 'dialing', 'call success', 'sent', 'result mail sent', 'purged'], `fax ${sent}${dump}`);
  assert.equal(events(sent).filter((e) => e.startsWith('call ')).length, 2, `two calls of fax ${sent}${dump}`);
  assert.match(of(sent).find((l) => l.event === 'accepted')!.detail ?? '', /from web@server\.example/);
  assert.equal(of(sent).find((l) => l.event === 'call success')!.recipient, 0);
  const purged = of(sent).find((l) => l.event === 'purged')!;
  assert.equal(purged.actor, 'console:admin');
  assert.match(purged.detail ?? '', /DSR-42/);
  assert.equal(events(sent).at(-1), 'purged', `nothing after the purge${dump}`);

  // The cancelled fax: its one call, the cancel with who and why, and the result mail saying so.
  assertInOrder(events(cancelled), ['accepted', 'rendered', 'dialing', 'call no-answer', 'retry scheduled', 'cancelled', 'result mail sent'], `fax ${cancelled}${dump}`);
  assert.match(of(cancelled).find((l) => l.event === 'cancelled')!.detail ?? '', /admin.*wrong number/);
  assert.ok(!events(cancelled).includes('dialing', events(cancelled).indexOf('cancelled')), `no call after the cancel${dump}`);

  // The received fax: answered, received, routed, mailed.
  const inbound = lines.filter((l) => l.subject === 'inbound');
  const rxIds = [...new Set(inbound.map((l) => l.id))];
  assert.equal(rxIds.length, 1, `one received fax${dump}`);
  assertInOrder(inbound.map((l) => l.event), ['answered', 'received', 'routed', 'mail sent'], `received fax ${rxIds[0]}${dump}`);

  // The CSV export of the same range has the same lines, one row each.
  const csv = await fetch(`${g.gw.httpUrl}/api/v1/audit?${new URLSearchParams({ from, to, format: 'csv' })}`, { headers: admin });
  assert.equal(csv.status, 200);
  const rows = (await csv.text()).split('\r\n').filter((r) => r !== '');
  assert.equal(rows[0], 'at,subject,id,recipient,event,detail,actor');
  assert.equal(rows.length - 1, lines.length, 'one CSV row per JSON line');
  assert.ok(rows.some((r) => r.includes(`,fax,${sent},,purged,`)), 'the purge is in the CSV too');

  // The received fax is purged too (a data-subject request about a fax someone sent us): its
  // stored pages and records go, its lines stay, and a purged line names the admin.
  const rxPurge = await fetch(`${g.gw.httpUrl}/api/v1/inbound/${rxIds[0]}/purge`, { method: 'POST', headers: admin, body: JSON.stringify({ reason: 'DSR-43' }) });
  assert.equal(rxPurge.status, 200, await rxPurge.clone().text());
  assert.deepEqual(((await rxPurge.json()) as { removed: string[] }).removed, [inboundBlobKeys.document(rxIds[0]), 'records']);
  await assert.rejects(access(join(g.dataDir, inboundBlobKeys.document(rxIds[0]))), 'the received pages are gone from the data directory');
  assert.equal((await fetch(`${g.gw.httpUrl}/api/v1/inbound/${rxIds[0]}`, { headers: admin })).status, 404);
  const after = (await (await fetch(`${g.gw.httpUrl}/api/v1/audit?${new URLSearchParams({ from, format: 'jsonl' })}`, { headers: admin })).text()).trim().split('\n').map((l) => JSON.parse(l) as AuditLine);
  const rxAfter = after.filter((l) => l.id === rxIds[0]);
  assert.deepEqual(rxAfter.slice(0, -1).map((l) => l.event), inbound.map((l) => l.event), 'the received fax\'s lines before the purge are kept');
  assert.deepEqual([rxAfter.at(-1)?.event, rxAfter.at(-1)?.actor], ['purged', 'console:admin']);
  assert.match(rxAfter.at(-1)?.detail ?? '', /DSR-43/);
});
