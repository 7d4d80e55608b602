// Issue 17 on a real fax protocol: a node killed (kill -9) in the middle of a T.38 call to
// spandsp. spandsp is the judge of what was printed: the first receiver's page count must equal
// the pages the node recorded as confirmed (MCF), and the next attempt, to a second spandsp
// receiver, must carry exactly the pages after those, so no page reaches paper twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { libtiffInspect, waitUntil } from '@faxgate/testkit';
import { pagesRx, startT38KillBed, type T38KillBed } from './t38-kill-bed.ts';

let bed: T38KillBed;
before(async () => {
  bed = await startT38KillBed('t38-kill');
});
after(async () => {
  await bed?.dispose();
});

// Real-time T.38 calls (a page takes several seconds at 14,400 bit/s), a node restart and the
// 10 s call lock: about 90 s on this machine; every wait below is bounded on its own.
test('a node killed mid-call on T.38: spandsp printed the confirmed pages once, the retry sends only the rest', { timeout: 240_000 }, async () => {
  const { records, sink, dir } = bed;
  const rx1File = join(dir.path, 'rx1.tif');
  const { proc: rx1, port: port1 } = await bed.receiver(rx1File, 120);
  const node1 = await bed.node(port1);
  const faxId = await bed.send(3, 'kill on t38');

  await waitUntil('the node to record page 1 as confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= 1, 120_000, 20).catch((err) => {
    throw new Error(`${err.message}\n--- node ---\n${node1.output().slice(-3000)}\n--- spandsp ---\n${rx1.stdout()}`);
  });
  await node1.kill9();
  const confirmed = (await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0;
  // The far end notices the silence and ends its side of the call.
  rx1.kill();
  await rx1.exit;
  assert.equal(pagesRx(rx1), confirmed, `spandsp printed ${pagesRx(rx1)} page(s), the node recorded ${confirmed}:\n${rx1.stdout()}`);

  const rx2File = join(dir.path, 'rx2.tif');
  const { proc: rx2, port: port2 } = await bed.receiver(rx2File, 150);
  const node2 = await bed.node(port2);
  const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- spandsp ---\n${rx2.stdout()}`);
  });
  assert.equal(await rx2.exit, 0, `spandsp did not report success:\n${rx2.stdout()}${rx2.stderr()}`);
  const total = (await records.getRecipient(faxId, 0))?.pagesTotal ?? 0;
  assert.equal(total, 4, 'cover page and three document pages');
  assert.equal(pagesRx(rx2), total - confirmed, `the retry carried ${pagesRx(rx2)} page(s):\n${rx2.stdout()}`);
  assert.equal((await libtiffInspect(rx2File, dir.path)).pages.length, total - confirmed);
  const a2 = await records.getAttempt(faxId, 0, 2);
  assert.equal(a2?.fromPage, confirmed + 1);
  assert.equal((await records.getAttempt(faxId, 0, 1))?.interrupted, true);
  assert.match(mail.parsed.subject ?? '', /sent: 4 pages/);
  assert.match(mail.parsed.text ?? '', /Attempts: +2/);
});
