// Issue 14, quiet hours checked again at dial time (the node's call worker, before a line is
// taken): a call queued outside its number's window that is still waiting for the number when
// the window starts is put off to the window's end, with the reason in its timeline, and the
// wait is not an attempt. On simulated lines, dispatch and the node run for real against Redis;
// only the clock they read quiet hours by is the test's: it reads two hours before the window
// while the call is queued, and is moved to just before the window once the call waits for its
// number (time passing while it waits), running 12 times as fast, so the one-minute window
// opens in 2 s and lasts 5 s of wall clock. The delays the roles compute from it are wall-clock
// delays, kept by BullMQ.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { DestinationGate } from '@faxgate/destinations';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { QuietHoursTestClock } from './quiet-hours-test-clock.ts';

const ZONE = 'Asia/Tokyo';
// 12:00-12:01 in Tokyo (UTC+9, no DST).
const WINDOW_START = Date.parse('2026-06-15T03:00:00Z');
const WINDOW_END = WINDOW_START + 60_000;
const RATE = 12;
const LEAD_MS = 2_000;

let bed: SimBed | undefined;
after(async () => {
  await bed?.dispose();
});

test('a call waiting for its number when the quiet hours start is not dialled in them: put off to their end by the node, said in the timeline, not counted as an attempt', { timeout: 90_000 }, async () => {
  const clock = new QuietHoursTestClock();
  clock.set(WINDOW_START - 2 * 3600_000);
  bed = await startSimBed('faxgate-quiet-hours-dial-time', {
    FAXGATE_SIM_TIME_SCALE: '0.01',
    FAXGATE_QUIET_HOURS: `+1212555096=12:00-12:01@${ZONE}`,
  }, { quietHoursClock: clock });
  const { redis, base, records } = bed.gw.ctx;
  const number = '+12125550960';
  const view = async (faxId: string) => JSON.stringify(await records.view(faxId));
  // Another call of ours holds the number (the destination gate's real slot), so the fax's call
  // waits for it, off the line, into the window.
  const gate = new DestinationGate(redis, base.FAXGATE_QUEUE_PREFIX);
  assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 240_000));
  let faxId = '';
  let wallEnd = 0;
  let endIso = '';
  try {
    faxId = await bed.fax({ numbers: [number] });
    const queued = await waitUntil(`${faxId} to be queued for a line`, async () => {
      const v = await records.view(faxId);
      return v?.timeline.some((e) => e.event === 'queued for a line') ? v : undefined;
    }, 30_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
    });
    assert.ok(!queued.timeline.some((e) => e.event.includes('quiet hours')), `dispatch queued the call outside the window: ${JSON.stringify(queued.timeline)}`);
    // The call waits for the number: the node has looked at it (and found it busy) at least once.
    await waitUntil(`${faxId}'s call to wait for ${number}`, async () => (await bed!.calls().getJobState(`call-${faxId}-r0-a1`)) === 'delayed' || undefined, 15_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
    });

    clock.set(WINDOW_START - LEAD_MS * RATE, RATE);
    const wallStart = clock.wallAt(WINDOW_START);
    wallEnd = clock.wallAt(WINDOW_END);
    endIso = new Date(wallEnd).toISOString();
    // The window starts while the call still waits for the number: the node puts it off.
    const put = await waitUntil(`the node to put ${faxId} off for the quiet hours starting at ${new Date(wallStart).toISOString()} (wall clock)`, async () => {
      const v = await records.view(faxId);
      return v?.timeline.find((e) => e.event === 'waiting for quiet hours to end') ? v : undefined;
    }, LEAD_MS + 15_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
    });
    const why = put.timeline.find((e) => e.event === 'waiting for quiet hours to end')!;
    assert.ok(Date.parse(why.at) >= wallStart, `put off at ${why.at}, before the window started at ${new Date(wallStart).toISOString()}`);
    assert.equal(why.detail, `quiet hours 12:00-12:01 for +1212555096 in ${ZONE}: not dialled before ${endIso} (seen when the call was about to take a line)`);
    const waiting = await records.getRecipient(faxId, 0);
    assert.equal(waiting?.nextAttemptAt, endIso, 'the record says when the call will start');
    assert.equal(waiting?.attempts ?? 0, 0, 'putting the call off is not an attempt');
    assert.equal(await records.getAttempt(faxId, 0, 1), undefined, 'no attempt record while it waits');
  } finally {
    // The number is free again inside the window: the call must still wait for the window's end.
    await gate.release(number, 'test-holds-the-number');
  }
  assert.ok(Date.now() < wallEnd, `the test released the number at ${new Date().toISOString()}, after the window ended at ${endIso}: the call was not shown to wait for the end`);
  const done = await waitUntil(`${faxId} to be sent after ${endIso}`, async () => {
    const x = await records.getRecipient(faxId, 0);
    return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
  }, wallEnd - Date.now() + 30_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
  });
  assert.equal(done.state, 'sent', await view(faxId));
  assert.equal(done.attempts, 1, `one attempt, the call after the window: ${await view(faxId)}`);
  const call = await records.getAttempt(faxId, 0, 1);
  assert.ok(Date.parse(call!.startedAt) >= wallEnd, `dialled at ${call!.startedAt}, inside the quiet hours ending ${endIso}`);
  // Said once: the node looked again only when the window ended.
  assert.equal((await records.view(faxId))!.timeline.filter((e) => e.event === 'waiting for quiet hours to end').length, 1);
});
