import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HylafaxAuthError,
  HylafaxClient,
  HylafaxLineDriver,
  HylafaxConnectionError,
  HylafaxProtocolError,
  HylafaxTimeoutError,
  commitFax,
  prepareFax,
  type HylafaxConnectOptions,
  type TriggerEvent,
} from '../src/index.ts';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { assertNothingFor, tempDir, waitUntil } from '@faxgate/testkit';
import { startHylafaxTestbed, type HylafaxTestbed } from './hylafax-testbed.ts';
import { makeTwoPageFax } from './test-fax.ts';

const run = promisify(execFile);

// Failure paths against a real hfaxd (no modems needed): what a dispatch worker or the inbound
// poller sees when the server is down, frozen, or refuses them.
let bed: HylafaxTestbed;
let login: HylafaxConnectOptions;

before(async () => {
  bed = await startHylafaxTestbed({ modems: false });
  login = { host: bed.host, port: bed.port, user: bed.user, password: bed.password, timeoutMs: 5_000 };
});
after(async () => {
  await bed?.stop();
});

test('the configured user logs in, with and without admin privileges', async () => {
  const c = await HylafaxClient.connect(login);
  assert.deepEqual(await c.listReceived(), []);
  await c.quit();
  const admin = await HylafaxClient.connect({ ...login, adminPassword: bed.adminPassword });
  assert.equal(admin.connected, true);
  await admin.quit();
});

test('a wrong password is an auth error with the server reply, not worth retrying', async () => {
  const err = await HylafaxClient.connect({ ...login, password: 'wrong' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof HylafaxAuthError, String(err));
  assert.equal(err.replyCode, 530);
  assert.match(err.replyText, /Login incorrect/);
  assert.equal(err.transient, false);
  assert.match(err.message, /password of faxgate/);
  assert.doesNotMatch(err.message, /wrong/);
});

test('a wrong admin password and an unknown user are auth errors too', async () => {
  const admin = await HylafaxClient.connect({ ...login, adminPassword: 'nope' }).then(() => undefined, (e: unknown) => e);
  assert.ok(admin instanceof HylafaxAuthError, String(admin));
  assert.match(admin.message, /administrative privileges/);
  const stranger = await HylafaxClient.connect({ ...login, user: 'mallory' }).then(() => undefined, (e: unknown) => e);
  assert.ok(stranger instanceof HylafaxAuthError, String(stranger));
  assert.equal(stranger.transient, false);
});

test('protocol errors name the command and the reply, and the session goes on', async () => {
  const c = await HylafaxClient.connect(login);
  const missing = await c.retrieve('/recvq/fax999999999.tif').then(() => undefined, (e: unknown) => e);
  assert.ok(missing instanceof HylafaxProtocolError, String(missing));
  assert.equal(missing.command, 'RETR /recvq/fax999999999.tif');
  assert.equal(missing.replyCode, 550);
  assert.match(missing.replyText, /No such file/);
  // hfaxd keeps the refused transfer's data connection queued: the next transfer must still work.
  assert.deepEqual(await c.listJobs('sendq'), []);
  assert.equal(await c.selectJob(999_999), false);
  assert.equal(await c.getJob(999_999), undefined);
  const noDoc = await c.addDocument('/tmp/nothere.tif').then(() => undefined, (e: unknown) => e);
  assert.ok(noDoc instanceof HylafaxProtocolError, String(noDoc));
  assert.equal(noDoc.command, 'JPARM DOCUMENT /tmp/nothere.tif');
  assert.equal(noDoc.replyCode, 550);
  assert.equal(noDoc.transient, false);
  await c.quit();
});

test('a server that is down gives a connection error, and a restarted one works again', async () => {
  await bed.stopHfaxd();
  try {
    const err = await HylafaxClient.connect(login).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxConnectionError, String(err));
    assert.equal(err.socketCode, 'ECONNREFUSED');
    assert.equal(err.transient, true);
  } finally {
    await bed.startHfaxd();
  }
  const c = await HylafaxClient.connect(login);
  assert.deepEqual(await c.listJobs('doneq'), []);
  await c.quit();
});

test('a session the server drops mid-way fails the next command with a connection error', async () => {
  const c = await HylafaxClient.connect(login);
  await bed.stopHfaxd();
  try {
    const err = await c.listReceived().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxConnectionError, String(err));
    assert.equal(c.connected, false);
  } finally {
    await bed.startHfaxd();
  }
});

test('a server that accepts but never answers times out at the greeting', async () => {
  bed.freezeHfaxd();
  try {
    const err = await HylafaxClient.connect({ ...login, timeoutMs: 1_500 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxTimeoutError, String(err));
    assert.equal(err.step, 'the greeting');
    assert.equal(err.transient, true);
  } finally {
    bed.thawHfaxd();
  }
  const c = await HylafaxClient.connect(login);
  await c.quit();
});

test('the line driver reports a refused login as a failed call with the reason, and throws when the server is down', async () => {
  const call = { callId: `fx-driver-${process.pid}`, number: '+15550120', dialString: '5550120', document: new Uint8Array(0), fromPage: 1, line: 'hylafax-1' };
  const refused = await new HylafaxLineDriver({ server: { ...login, password: 'wrong' } }).send(call, new AbortController().signal);
  assert.equal(refused.result, 'failed');
  assert.equal(refused.pagesSent, 0);
  assert.match(refused.reason ?? '', /refused the password of faxgate: 530 Login incorrect/);

  // Unreachable before the job lookup: a job of this call may exist, so the call must run again.
  await bed.stopHfaxd();
  try {
    await assert.rejects(new HylafaxLineDriver({ server: login }).send(call, new AbortController().signal), HylafaxConnectionError);
  } finally {
    await bed.startHfaxd();
  }
});

/** A real two-page fax document for calls that reach the scheduler. */
async function faxDocument(): Promise<Uint8Array> {
  const work = await tempDir('faxgate-hylafax-failures');
  try {
    return await readFile(await makeTwoPageFax(work.path));
  } finally {
    await work.remove();
  }
}

test('a job HylaFAX never starts (its modem stays busy) is killed after the start timeout, and the call fails saying so', async () => {
  // A send-only modem that faxq knows (faxmodem(8)) and then holds as busy for ever.
  const modem = `ttyBUSY${process.pid}`;
  await run('faxmodem', ['-q', bed.spool, modem]);
  await bed.tellQueuer(`+${modem}:B`);
  const call = { callId: `fx-nostart-${process.pid}`, number: '+15550120', dialString: '5550120', document: await faxDocument(), fromPage: 1, line: 'hylafax-1' };
  const driver = new HylafaxLineDriver({ server: login, modem, pollIntervalMs: 300, startTimeoutMs: 2_000 });
  const outcome = await driver.send(call, new AbortController().signal);
  assert.equal(outcome.result, 'failed');
  assert.equal(outcome.pagesSent, 0);
  assert.match(outcome.reason ?? '', new RegExp(`HylaFAX did not start job ${outcome.hylafaxJobId} within 2 s \\(it stayed ready, no modem took it\\); the job was killed on the server`));
  // Killed on the server: it can never go out later behind faxgate's back.
  const c = await HylafaxClient.connect(login);
  const job = await c.getJob(outcome.hylafaxJobId);
  await c.quit();
  assert.equal(job?.state, 'failed');
  assert.equal(job?.dials, 0);
});

test('a ready job that faxq 6.0.7\'s scheduler throttle forgot is handed to the scheduler again', { timeout: 120_000 }, async (t) => {
  // faxq runs its scheduler at most once a second; two wake-ups within one second leave a
  // delayed run behind them, and a wake-up in the second of that delayed run is dropped.
  // Reproduced: a send-only modem announced ready twice in one write at the start of a second,
  // then the job submitted early in the next second. Without help it would stay ready for ever.
  const c = await HylafaxClient.connect(login);
  const watch = await (await HylafaxClient.connect(login)).watchTriggers('J*');
  try {
    // The race is faxq's and hangs on its timing within a second: on a loaded machine JSUBM can
    // take longer than the half second left, or faxq's delayed run comes late, and faxq then
    // schedules the job as usual (seen in a CI-like run: processed at once). Such a setup shows
    // nothing about the driver: its job is killed and the setup made again with a new job and
    // modem. What is judged (the driver's nudge, below) is never repeated. Five setups at most;
    // when none reproduces faxq's race (seen in 2 of 3 runs alone on a quiet machine, when the
    // delayed run did not come where expected) the test says so and is skipped, since without
    // a forgotten job there is nothing for the driver to do.
    const misses: string[] = [];
    const processed = (jobId: string) => (e: TriggerEvent) => e.kind === 'JOB' && e.id === jobId && /Being processed by scheduler/.test(e.text);
    let set: { callId: string; modem: string; prepared: Awaited<ReturnType<typeof prepareFax>>; submitted: number } | undefined;
    for (let n = 1; !set; n++) {
      const modem = `ttyFAKE${process.pid}n${n}`;
      const callId = `fx-nudge-${process.pid}-${n}`;
      const prepared = await prepareFax(c, { tag: callId, dialString: '5550120', documents: [{ data: await faxDocument() }], modem, maxDials: 1, maxTries: 1 });
      await run('faxmodem', ['-q', bed.spool, modem]);
      const announced = Math.floor(Date.now() / 1000);
      // faxq reads the clock with time(), which lags the real clock by up to a few ms: keep every
      // step 100 ms or more away from a second's edge.
      await waitUntil('100 ms into a later second', () => Math.floor(Date.now() / 1000) > announced && Date.now() % 1000 >= 100 && Date.now() % 1000 < 200, 3_000, 2);
      const second = Math.floor(Date.now() / 1000);
      await bed.tellQueuer(`+${modem}:R`, `+${modem}:R`);
      await waitUntil('the delayed scheduler run, early in the next second', () => Date.now() >= (second + 1) * 1000 + 400, 2_000, 2);
      await commitFax(c, prepared);
      const submitted = Date.now();
      let miss: string | undefined;
      if (submitted >= (second + 1) * 1000 + 900) miss = `submitted ${submitted - (second + 1) * 1000} ms into the delayed run's second`;
      else {
        // Forgotten: 5 s with no scheduler run for it (faxq runs it within a second otherwise).
        const line = await assertNothingFor('faxq scheduling the job after the dropped wake-up', () => watch.events.find(processed(String(prepared.jobId)))?.line, 5_000).then(() => undefined, (err: Error) => err.message);
        if (line) miss = line;
      }
      if (!miss) set = { callId, modem, prepared, submitted };
      else {
        misses.push(`setup ${n}: ${miss}`);
        await c.killJob(prepared.jobId);
        if (n === 5) break;
      }
    }
    if (!set) {
      t.diagnostic(`faxq's throttle race was not reproduced in 5 setups:\n${misses.join('\n')}`);
      t.skip('faxq did not forget the job in 5 setups (its race did not happen here)');
      return;
    }
    const { callId, modem, prepared, submitted } = set;
    const id = String(prepared.jobId);
    const isProcessed = processed(id);
    // The driver follows the job it finds by its tag (as after a restart) and asks the
    // scheduler again once the job has sat ready for 15 s.
    const call = { callId, number: '+15550120', dialString: '5550120', document: new Uint8Array(0), fromPage: 1, line: 'hylafax-1' };
    const driver = new HylafaxLineDriver({ server: login, modem, pollIntervalMs: 500, startTimeoutMs: 30_000 });
    const stop = new AbortController();
    const following = driver.send(call, stop.signal);
    following.catch(() => {});
    await watch.waitFor(`job ${id} processed by the scheduler`, isProcessed, 30_000);
    const after = Date.now() - submitted;
    assert.ok(after >= 15_000, `scheduled ${after} ms after the submission, before any nudge:\n${watch.lines.join('\n')}`);
    assert.ok(watch.events.some((e) => e.kind === 'JOB' && e.id === id && /Suspended/.test(e.text)), 'the nudge suspended and resubmitted the job');
    // The fake modem cannot dial; the job has shown what it had to. Stop following, end it.
    stop.abort(new Error('test done'));
    await assert.rejects(following, /test done/);
    await c.killJob(prepared.jobId);
  } finally {
    watch.close();
    await c.quit();
  }
});
