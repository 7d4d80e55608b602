import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { assertNothingFor, waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, simCalls, startApiGateway } from './api-harness.ts';

// Issue 14: hold and release through the real `faxgate` CLI (faxalter -h / -r), end to end on
// simulated lines: the whole fax and one recipient of two. The calls queue is paused while the
// fax is queued, so the hold lands before any node could dial it (under load, rendering can
// outlast any send-at margin); once resumed, the node takes the queued call jobs, and the
// send-at passing with nothing dialled shows the hold kept the fax off the lines (not only
// that its state reads 'held').

const MAIN = join(import.meta.dirname, '../../cli/src/main.ts');
let g: TestGateway<RunningGateway>;
let token: string;
before(async () => {
  g = await startApiGateway('faxgate-cli-hold', { FAXGATE_SIM_TIME_SCALE: '0.05' });
  token = await makeToken(g.gw, 'hal', ['send', 'read-own'], 'hal@example.com');
});
after(async () => {
  await g?.dispose();
});

interface Run { code: number | null; stdout: string; stderr: string }

/** `faxgate <args>` as a child process with FAXGATE_URL and the token, bounded in time. */
function faxgate(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { PATH: process.env.PATH, FAXGATE_URL: g.gw.httpUrl, FAXGATE_TOKEN: token } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

interface Recipient { index: number; number: string; state: string; attempts: number; pagesSent: number; pagesTotal: number }
const recipients = async (id: string): Promise<Recipient[]> => (await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token: ADMIN_TOKEN })).body.recipients;
const evidence = async (id: string) => `fax ${id}: ${JSON.stringify(await recipients(id))}; remote printed ${JSON.stringify(await simCalls(g.dataDir, id))}`;

const callJobs = () => g.gw.ctx.queues.queue('calls', 'sim');

/**
 * Queues a two-recipient fax that may go at `sendAt`, with the calls queue paused until `hold`
 * (the CLI) has run once both its call jobs are queued; returns the fax id and the CLI's run.
 */
async function queuedAndHeld(numbers: string[], sendAt: number, hold: (id: string) => Promise<Run>): Promise<{ id: string; held: Run }> {
  await callJobs().pause();
  try {
    const r = await api(g.gw, 'POST', '/api/v1/faxes', { token, body: { numbers, cover: 'none', message: 'held and released', send_at: new Date(sendAt).toISOString() } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id: string = r.body.id;
    await waitUntil(`both call jobs of ${id} to be queued`, async () => {
      const states = await Promise.all([0, 1].map((i) => callJobs().getJobState(`call-${id}-r${i}-a1`)));
      return states.every((st) => st !== 'unknown') ? true : undefined;
    }, 60_000);
    return { id, held: await hold(id) };
  } finally {
    await callJobs().resume();
  }
}

/** Waits until the recipient is sent, failing with the fax's state if it never is. */
const sent = (id: string, i: number) => waitUntil(`recipient ${i} of ${id} to be sent`, async () => {
  const r = (await recipients(id))[i];
  if (r.state === 'failed') throw new Error(`recipient ${i} failed: ${await evidence(id)}`);
  return r.state === 'sent' ? r : undefined;
}, 60_000);

/** Past the send-at, for `ms`: recipient i stays held, never dialled, nothing printed for it. */
async function staysHeld(id: string, i: number, untilAfter: number, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, untilAfter - Date.now())));
  await assertNothingFor(`a call to held recipient ${i} of ${id}`, async () => {
    const r = (await recipients(id))[i];
    const printed = (await simCalls(g.dataDir, id)).filter((f) => f.startsWith(`${id}-r${i}-`));
    return r.state !== 'held' || r.attempts > 0 || printed.length > 0 ? await evidence(id) : undefined;
  }, ms, 200);
}

test('faxgate hold <id> keeps every recipient off the lines past the send-at; release --recipient 1 sends that one only, release sends the other', async () => {
  const sendAt = Date.now() + 5_000;
  const { id, held } = await queuedAndHeld(['2125550401', '2125550402'], sendAt, (id) => faxgate(['hold', id]));
  assert.equal(held.code, 0, show(held));
  assert.equal(held.stdout.trim(), `${id}: held recipient(s) 0, 1`);
  assert.deepEqual((await recipients(id)).map((r) => r.state), ['held', 'held']);
  // Calls at this time scale take well under a second: 3 s past the send-at, a call would have ended.
  await staysHeld(id, 0, sendAt + 500, 3_000);
  assert.deepEqual(await simCalls(g.dataDir, id), [], 'no call for either recipient');

  const one = await faxgate(['release', id, '--recipient', '1']);
  assert.equal(one.code, 0, show(one));
  assert.equal(one.stdout.trim(), `${id}: released recipient(s) 1`);
  const r1 = await sent(id, 1);
  assert.deepEqual([r1.attempts, r1.pagesSent], [1, r1.pagesTotal]);
  await staysHeld(id, 0, 0, 2_000);

  const rest = await faxgate(['release', id, '--json']);
  assert.equal(rest.code, 0, show(rest));
  assert.deepEqual(JSON.parse(rest.stdout).changed, [0], 'only the held recipient is released');
  await sent(id, 0);
  assert.deepEqual(await simCalls(g.dataDir, id), [`${id}-r0-a1.tif`, `${id}-r1-a1.tif`], 'one call each, after release');
  const status = await faxgate(['status', id]);
  assert.match(status.stdout, /\bheld\b[\s\S]*\breleased\b/, `the timeline shows the hold and the release\n${show(status)}`);
});

test('faxgate hold <id> --recipient 0 holds that one only: the other goes at the send-at; release sends it', async () => {
  const sendAt = Date.now() + 5_000;
  const { id, held } = await queuedAndHeld(['2125550403', '2125550404'], sendAt, (id) => faxgate(['hold', id, '--recipient', '0']));
  assert.equal(held.code, 0, show(held));
  assert.equal(held.stdout.trim(), `${id}: held recipient(s) 0`);
  const r1 = await sent(id, 1);
  assert.ok(Date.now() >= sendAt, 'not before its send-at');
  assert.equal(r1.attempts, 1);
  await staysHeld(id, 0, 0, 3_000);
  const again = await faxgate(['hold', id, '--recipient', '1']);
  assert.equal(again.code, 0, show(again));
  assert.match(again.stdout, new RegExp(`^${id}: nothing to do\\n  \\[1\\] `), 'a sent recipient cannot be held');

  const released = await faxgate(['release', id]);
  assert.equal(released.code, 0, show(released));
  assert.equal(released.stdout.trim(), `${id}: released recipient(s) 0\n  [1] already sent`, 'the sent one is left as it is');
  await sent(id, 0);
  assert.deepEqual(await simCalls(g.dataDir, id), [`${id}-r0-a1.tif`, `${id}-r1-a1.tif`]);
});
