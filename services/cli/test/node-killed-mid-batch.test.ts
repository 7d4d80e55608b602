// Issues 14 and 17: a node killed in the middle of a batched call (two faxes to one number in one
// call). Each fax resumes on its own: the one whose pages were all confirmed is sent and never
// dialled again, the one the call died in starts its next attempt at its first unconfirmed page,
// and the simulated remote machine prints every page of both exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptRecord } from '@faxgate/store';
import { DestinationGate } from '@faxgate/destinations';
import { BatchClaims, simPrintedKey } from '@faxgate/node';
import { makePdf, startRoleProcess, waitUntil } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';
import { useSimKillBed } from './sim-kill-bed.ts';

const bed = useSimKillBed('kill-batch');

// Two or three `faxgate run` processes start in this test: on a loaded machine each can take
// most of a minute before /readyz answers, so the file's 120 s default is not enough.
test('a node killed mid-batch: the fax sent before the kill stays sent, the other resumes at its first unconfirmed page, every page printed once', { timeout: 240_000 }, async () => {
  const gw = await bed.open();
  const { smtpPort, prefix, env, procs, client, records } = gw;
  const { sink, dir } = bed;
  const number = '+12125550330';
  const gate = new DestinationGate(client, prefix);
  const claims = new BatchClaims(client, prefix);
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    // Slow enough that a page takes about a second: the kill lands inside the second document.
    const node1 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.25' });
    procs.push(node1);
    await core.ready();
    await node1.ready();

    // Another call holds the number while both faxes arrive, so both wait for it and its next
    // call takes them together.
    assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 300_000));
    const send = async (from: string, pages: number, subject: string) => mailFax(smtpPort, { from, to: `${number.slice(1)}@fax.test`, subject, pdf: await makePdf(dir.path, pages, subject) });
    const faxes = [await send('ann@example.com', 4, 'Batch one'), await send('bob@example.com', 4, 'Batch two')];
    await waitUntil('both faxes to wait for the number', async () => (await claims.waiting(number, 60_000)).length === 2, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${core.output().slice(-3000)}\n${node1.output().slice(-3000)}`);
    });
    await gate.release(number, 'test-holds-the-number');

    const first = (id: string) => records.getAttempt(id, 0, 1);
    const inSecond = await waitUntil('a page of the second document to be confirmed', async () => {
      for (const id of faxes) {
        const a = await first(id);
        if (a?.batchedIn && (a.pagesSent ?? 0) >= 1) return { id, a };
      }
      return undefined;
    }, 120_000, 20).catch((err) => {
      throw new Error(`${(err as Error).message}\n${node1.output().slice(-3000)}`);
    });
    await node1.kill9();
    const member = inSecond.id;
    const lead = faxes.find((id) => id !== member)!;
    const memberTotal = (await records.getRecipient(member, 0))!.pagesTotal!;
    const confirmedAtKill = (await first(member))?.pagesSent ?? 0;
    assert.ok(confirmedAtKill >= 1 && confirmedAtKill < memberTotal, `pages of the second fax confirmed when the node was killed: ${confirmedAtKill} of ${memberTotal}`);
    assert.equal(inSecond.a.batchedIn, `${lead}-r0-a1`);

    const node2 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.01' });
    procs.push(node2);
    await node2.ready();
    const mails = await Promise.all(faxes.map((id) => sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === id, 120_000))).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- core ---\n${core.output().slice(-3000)}`);
    });
    for (const m of mails) assert.match(m.parsed.subject ?? '', /sent/);

    // The lead's pages were all confirmed before the kill: sent, one attempt, never dialled again.
    const leadView = (await records.view(lead))!.recipients[0];
    assert.equal(leadView.state, 'sent');
    assert.equal(leadView.attemptsDetail.length, 1, JSON.stringify(leadView.attemptsDetail));
    // The second fax: its attempt in the lead's call ended interrupted with its own confirmed
    // pages, and the next one started after them.
    const memberView = (await records.view(member))!.recipients[0];
    const [m1, m2] = memberView.attemptsDetail as AttemptRecord[];
    assert.equal(memberView.state, 'sent');
    assert.equal(m1.interrupted, true, 'the batched attempt is recorded as interrupted');
    assert.equal(m1.pagesSent, confirmedAtKill);
    assert.equal(m2.fromPage, confirmedAtKill + 1, 'the next attempt starts at the first unconfirmed page');
    assert.equal(m2.result, 'success');

    for (const id of faxes) {
      const total = (await records.getRecipient(id, 0))!.pagesTotal!;
      const printed = await client.hgetall(simPrintedKey(prefix, `${id}-r0-a1`));
      assert.deepEqual(printed, Object.fromEntries(Array.from({ length: total }, (_, i) => [String(i + 1), '1'])), `${id}: each page printed once`);
    }
  } finally {
    await gw.end();
  }
});
