// Issue 17, "a call that failed after the receiver confirmed the last page is a success, not a
// retry", on a real fax protocol. The node is killed (kill -9) after spandsp confirmed the last
// page (MCF to EOP) and before the call ended: the node was still sending DCN (T.30 §5.3.3,
// phase E; at 300 bit/s with its preamble that takes about a second). Nothing is left to send,
// so the next node must finish the fax as sent without dialling: spandsp printed every page once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertNothingFor, waitUntil } from '@faxgate/testkit';
import { pagesRx, startT38KillBed, type T38KillBed } from './t38-kill-bed.ts';

let bed: T38KillBed;
before(async () => {
  bed = await startT38KillBed('t38-kill-phase-e');
});
after(async () => {
  await bed?.dispose();
});

// A real-time 4-page T.38 call (about 30 s), then the 10 s call lock before another node takes
// the job over; every wait below is bounded on its own.
test('a node killed after the last page was confirmed on T.38: the fax is sent, nothing is dialled again', { timeout: 240_000 }, async () => {
  const { records, sink, dir } = bed;
  const { proc: rx1, port: port1 } = await bed.receiver(join(dir.path, 'rx1.tif'), 120);
  const node1 = await bed.node(port1);
  const faxId = await bed.send(3, 'killed in phase E');
  const total = 4; // cover page and three document pages

  await waitUntil('the node to record the last page as confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= total, 120_000, 10).catch((err) => {
    throw new Error(`${err.message}\n--- node ---\n${node1.output().slice(-3000)}\n--- spandsp ---\n${rx1.stdout()}`);
  });
  await node1.kill9();
  const first = await records.getAttempt(faxId, 0, 1);
  // The case under test is a call that had not ended: had the node already recorded its
  // outcome, this test would prove nothing.
  assert.equal(first?.result, undefined, `the call had already ended before the kill (outcome ${first?.result}); the test missed phase E:\n${node1.output().slice(-2000)}`);
  rx1.kill();
  await rx1.exit;
  assert.equal(pagesRx(rx1), total, `spandsp printed ${pagesRx(rx1)} page(s):\n${rx1.stdout()}`);

  // A second far machine on the next node's line: it must never be called.
  const { proc: rx2, port: port2 } = await bed.receiver(join(dir.path, 'rx2.tif'), 150);
  const node2 = await bed.node(port2);
  const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}`);
  });
  assert.match(mail.parsed.subject ?? '', /sent: 4 pages/);
  const r = await records.getRecipient(faxId, 0);
  assert.equal(r?.state, 'sent');
  assert.equal(await records.getAttempt(faxId, 0, 2), undefined, 'a second call was placed');
  const a1 = await records.getAttempt(faxId, 0, 1);
  assert.equal(a1?.interrupted, true);
  assert.equal(a1?.pagesSent, total);
  await assertNothingFor('a call to the second spandsp receiver', async () => /PAGE received/.test(rx2.stdout()), 3_000);
  assert.equal(pagesRx(rx2), 0, rx2.stdout());
});
