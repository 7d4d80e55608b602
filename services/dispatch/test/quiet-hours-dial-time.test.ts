// Issue 14, quiet hours checked again at dial time (the node's call worker, before a line is
// taken): a call queued outside its number's window that is still waiting for the number when
// the window starts is put off to the window's end, with the reason in its timeline, and the
// wait is not an attempt. On simulated lines; the window is set on the wall clock (there is no
// clock to control), starting at a minute boundary far enough ahead for the gateway to start and
// dispatch to queue the call before it, lasting one minute.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { DestinationGate } from '@faxgate/destinations';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { localMinuteOfDay } from '@faxgate/quiet-hours';

const ZONE = 'Asia/Tokyo';
const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

let bed: SimBed | undefined;
after(async () => {
  await bed?.dispose();
});

test('a call waiting for its number when the quiet hours start is not dialled in them: put off to their end by the node, said in the timeline, not counted as an attempt', { timeout: 330_000 }, async () => {
  // The first minute boundary at least 75 s away: the gateway starts and dispatch queues the
  // call before it on this loaded machine.
  const windowStart = Math.ceil((Date.now() + 75_000) / 60_000) * 60_000;
  const windowEnd = windowStart + 60_000;
  const startIso = new Date(windowStart).toISOString();
  const endIso = new Date(windowEnd).toISOString();
  bed = await startSimBed('faxgate-quiet-hours-dial-time', {
    FAXGATE_SIM_TIME_SCALE: '0.01',
    FAXGATE_QUIET_HOURS: `+1212555096=${hhmm(localMinuteOfDay(windowStart, ZONE))}-${hhmm(localMinuteOfDay(windowEnd, ZONE))}@${ZONE}`,
  });
  const { redis, base, records } = bed.gw.ctx;
  const number = '+12125550960';
  const view = async (faxId: string) => JSON.stringify(await records.view(faxId));
  // Another call of ours holds the number (the destination gate's real slot), so the fax's call
  // waits for it, off the line, into the window.
  const gate = new DestinationGate(redis, base.FAXGATE_QUEUE_PREFIX);
  assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 240_000));
  let faxId = '';
  try {
    faxId = await bed.fax({ numbers: [number] });
    const queued = await waitUntil(`${faxId} to be queued for a line`, async () => {
      const v = await records.view(faxId);
      return v?.timeline.some((e) => e.event === 'queued for a line') ? v : undefined;
    }, 60_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
    });
    assert.ok(Date.now() < windowStart, `the gateway took until ${new Date().toISOString()} to queue the call, past the window's start ${startIso}: this test needs dispatch to queue it before`);
    assert.ok(!queued.timeline.some((e) => e.event.includes('quiet hours')), `dispatch queued the call outside the window: ${JSON.stringify(queued.timeline)}`);

    // The window starts while the call still waits for the number: the node puts it off.
    const put = await waitUntil(`the node to put ${faxId} off for the quiet hours starting ${startIso}`, async () => {
      const v = await records.view(faxId);
      return v?.timeline.find((e) => e.event === 'waiting for quiet hours to end') ? v : undefined;
    }, windowStart - Date.now() + 40_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
    });
    const why = put.timeline.find((e) => e.event === 'waiting for quiet hours to end')!;
    assert.equal(why.detail, `quiet hours ${hhmm(localMinuteOfDay(windowStart, ZONE))}-${hhmm(localMinuteOfDay(windowEnd, ZONE))} for +1212555096 in ${ZONE}: not dialled before ${endIso} (seen when the call was about to take a line)`);
    const waiting = await records.getRecipient(faxId, 0);
    assert.equal(waiting?.nextAttemptAt, endIso, 'the record says when the call will start');
    assert.equal(waiting?.attempts ?? 0, 0, 'putting the call off is not an attempt');
    assert.equal(await records.getAttempt(faxId, 0, 1), undefined, 'no attempt record while it waits');
  } finally {
    // The number is free again inside the window: the call must still wait for the window's end.
    await gate.release(number, 'test-holds-the-number');
  }
  const done = await waitUntil(`${faxId} to be sent after ${endIso}`, async () => {
    const x = await records.getRecipient(faxId, 0);
    return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
  }, windowEnd - Date.now() + 90_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the fax: ${await view(faxId)}`);
  });
  assert.equal(done.state, 'sent', await view(faxId));
  assert.equal(done.attempts, 1, `one attempt, the call after the window: ${await view(faxId)}`);
  const call = await records.getAttempt(faxId, 0, 1);
  assert.ok(Date.parse(call!.startedAt) >= windowEnd, `dialled at ${call!.startedAt}, inside the quiet hours ending ${endIso}`);
  // Said once: the node looked again only when the window ended.
  assert.equal((await records.view(faxId))!.timeline.filter((e) => e.event === 'waiting for quiet hours to end').length, 1);
});
