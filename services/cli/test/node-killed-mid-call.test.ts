// Issue 17: a node that dies mid-call (kill -9) is found within seconds, the interrupted
// attempt stays in the record with the pages the receiver confirmed, and the next attempt starts
// at the first page the receiver did not confirm, so the far machine prints every page once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALL_ALIVE_MS, simPrintedKey } from '@faxgate/node';
import { makePdf, startRoleProcess, waitUntil } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';
import { useSimKillBed } from './sim-kill-bed.ts';

const bed = useSimKillBed('kill');

// Two or three `faxgate run` processes start in this test: on a loaded machine each can take
// most of a minute before /readyz answers, so the file's 120 s default is not enough.
test('a node killed mid-call: attempt 1 is kept as interrupted, attempt 2 starts at the first unconfirmed page, every page printed once', { timeout: 240_000 }, async () => {
  const gw = await bed.open();
  const { smtpPort, prefix, env, procs, client, records } = gw;
  const { sink, dir } = bed;
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    // Slow enough that a page takes about a second: the kill lands in the middle of the call.
    const node1 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.25' });
    procs.push(node1);
    await core.ready();
    await node1.ready();

    const faxId = await mailFax(smtpPort, { to: '12125550300@fax.test', subject: 'kill the node', pdf: await makePdf(dir.path, 4, 'Killed mid-call') });

    await waitUntil('attempt 1 to have 2 pages confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= 2, 60_000, 20).catch((err) => {
      throw new Error(`${err.message}\n${node1.output().slice(-3000)}`);
    });
    await node1.kill9();
    const killedAt = Date.now();
    const confirmedAtKill = (await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0;
    assert.ok(confirmedAtKill >= 2 && confirmedAtKill < 5, `pages confirmed when the node was killed: ${confirmedAtKill}`);

    const node2 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.01' });
    procs.push(node2);
    await node2.ready();
    const node2ReadyAt = Date.now();
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- core ---\n${core.output().slice(-3000)}`);
    });
    assert.match(mail.parsed.subject ?? '', /sent: 5 pages/);
    assert.match(mail.parsed.text ?? '', /Attempts: +2/);

    const view = await records.view(faxId);
    assert.ok(view);
    const [a1, a2] = view.recipients[0].attemptsDetail;
    assert.equal(a1.interrupted, true, 'attempt 1 is recorded as interrupted');
    assert.equal(a1.pagesSent, confirmedAtKill);
    assert.equal(a2.fromPage, confirmedAtKill + 1, 'attempt 2 starts at the first unconfirmed page');
    assert.equal(a2.result, 'success');
    // Seconds, not the 120 s lock of before: once the dead node's call lock (10 s) has run out
    // and a node is up, its stalled check (every 5 s) re-runs the job, which waits for the dead
    // call's liveness mark to lapse (CALL_ALIVE_MS after its last renewal, before the kill), and
    // dispatch redials. The new node's start is left out: at load ~20 it alone took 30-50 s.
    const takenOverMs = Date.parse(a2.startedAt) - Math.max(node2ReadyAt, killedAt + CALL_ALIVE_MS);
    process.stdout.write(`# attempt 2 started ${Date.parse(a2.startedAt) - killedAt} ms after the kill, ${takenOverMs} ms after the call's liveness mark ran out and node 2 was up\n`);
    assert.ok(takenOverMs < 20_000, `the next attempt started ${takenOverMs} ms after the call's liveness mark ran out and node 2 was up`);

    const printed = await client.hgetall(simPrintedKey(prefix, `${faxId}-r0-a1`));
    assert.deepEqual(printed, { 1: '1', 2: '1', 3: '1', 4: '1', 5: '1' }, 'each page printed once');
  } finally {
    await gw.end();
  }
});
