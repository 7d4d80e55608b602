// Issue 17 (no page twice): a call job whose BullMQ lock lapses while its call goes on (an
// overloaded node's event loop missed the renewal: docs/performance.md, "A fax sent twice under
// overload") is run again by the stalled check beside the running call. A lapsed queue lock is
// not proof that the node died: the re-run must neither declare the call interrupted nor let
// dispatch dial the rest again; the call's own outcome stands and every page is printed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simPrintedKey } from '@faxgate/node';
import { makePdf, startRoleProcess, waitUntil } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';
import { useSimKillBed } from './sim-kill-bed.ts';

const bed = useSimKillBed('lock-lapsed');

// Two `faxgate run` processes start: on a loaded machine each can take most of a minute before
// /readyz answers, so the file's 120 s default is not enough.
test('a call whose job lock lapses mid-call is not taken for interrupted: one attempt, every page printed once', { timeout: 240_000 }, async () => {
  const gw = await bed.open();
  const { smtpPort, prefix, env, procs, client, records } = gw;
  const { sink, dir } = bed;
  const pages = 6;
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    // About four seconds a page: the call outlasts the stalled check's two rounds (5 s each)
    // after the lock is gone, so the job runs again while the call is still on the line.
    const node = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '1' });
    procs.push(node);
    await core.ready();
    await node.ready();
    const evidence = () => `\n--- node ---\n${node.output().slice(-3000)}\n--- core ---\n${core.output().slice(-3000)}`;

    const faxId = await mailFax(smtpPort, { to: '12125550310@fax.test', subject: 'lock lapses', pdf: await makePdf(dir.path, pages - 1, 'Lock lapsed mid-call') });
    await waitUntil('attempt 1 to have a page confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= 1, 90_000, 20).catch((err) => {
      throw new Error(`${err.message}${evidence()}`);
    });

    // The lock lapses as an overloaded node's would: gone, while the node goes on with the call.
    const active = await client.keys(`${prefix}:calls-*:active`);
    assert.equal(active.length, 1, `one calls queue: ${active.join(', ')}`);
    const queueKey = active[0].slice(0, -':active'.length);
    const jobIds = await client.lrange(active[0], 0, -1);
    assert.equal(jobIds.length, 1, `one active call job: ${jobIds.join(', ')}`);
    const jobId = jobIds[0];
    assert.equal(await client.del(`${queueKey}:${jobId}:lock`), 1, 'the call job held a lock');
    const confirmedAtLapse = (await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0;
    assert.ok(confirmedAtLapse < pages - 1, `the call still has pages to send when its lock lapses (${confirmedAtLapse} of ${pages} confirmed)`);

    // The stalled check puts the job back while the call runs: this is the case under test.
    await waitUntil('the stalled check to run the call job again', async () => Number((await client.hget(`${queueKey}:${jobId}`, 'stc')) ?? 0) >= 1, 30_000, 100).catch(async (err) => {
      throw new Error(`${err.message}; job ${JSON.stringify(await client.hgetall(`${queueKey}:${jobId}`))}${evidence()}`);
    });
    const putBackAt = Date.now();

    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}${evidence()}`);
    });
    assert.match(mail.parsed.subject ?? '', new RegExp(`sent: ${pages} pages`));
    assert.match(mail.parsed.text ?? '', /Attempts: +1\b/);

    const view = await records.view(faxId);
    assert.ok(view);
    const attempts = view.recipients[0].attemptsDetail;
    assert.equal(attempts.length, 1, `one attempt: ${JSON.stringify(attempts)}`);
    assert.equal(attempts[0].result, 'success');
    assert.ok(!attempts[0].interrupted, 'the attempt is not recorded as interrupted');
    assert.equal(attempts[0].pagesSent, pages);
    assert.ok(putBackAt < Date.parse(attempts[0].endedAt ?? ''), `the job was put back (${new Date(putBackAt).toISOString()}) while its call still ran (ended ${attempts[0].endedAt})`);
    assert.doesNotMatch(node.output(), /call interrupted/);

    const printed = await client.hgetall(simPrintedKey(prefix, `${faxId}-r0-a1`));
    assert.deepEqual(printed, Object.fromEntries(Array.from({ length: pages }, (_, i) => [String(i + 1), '1'])), 'each page printed once');
  } finally {
    await gw.end();
  }
});
