// Issue 14, time windows: quiet hours per destination in the destination's time zone
// (FAXGATE_QUIET_HOURS), on simulated lines. Dispatch and the node run for real against Redis;
// the clock they read quiet hours by is the test's (quiet-hours-test-clock.ts), set inside a
// one-minute window in Tokyo, so the test need not wait for the wall clock to reach one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { QuietHoursTestClock } from './quiet-hours-test-clock.ts';

const ZONE = 'Asia/Tokyo';
// 12:00-12:01 in Tokyo (UTC+9, no DST).
const WINDOW_START = Date.parse('2026-06-15T03:00:00Z');
const WINDOW_END = WINDOW_START + 60_000;

const clock = new QuietHoursTestClock();
let bed: SimBed;
before(async () => {
  // An hour before the window while the gateway starts.
  clock.set(WINDOW_START - 3600_000);
  bed = await startSimBed('faxgate-quiet-hours', {
    FAXGATE_SIM_TIME_SCALE: '0.01',
    // Numbers under +1212555094 are quiet 12:00-12:01 Tokyo time; other US numbers have a
    // one-minute window at midnight in each US zone, which at 12:00 in Tokyo (03:00 UTC in June)
    // is 1 to 7 h away in every US zone (UTC-4 to UTC-10), so they are dialled at once.
    FAXGATE_QUIET_HOURS: `+1212555094=12:00-12:01@${ZONE},US=00:00-00:01`,
  }, { quietHoursClock: clock });
});
after(async () => {
  await bed?.dispose();
});

const records = () => bed.gw.ctx.records;
const finished = (faxId: string, withinMs = 60_000) =>
  waitUntil(`${faxId} to finish`, async () => {
    const x = await records().getRecipient(faxId, 0);
    return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
  }, withinMs).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the fax: ${JSON.stringify(await records().view(faxId))}`);
  });

test('a kill time that comes before the quiet hours end gives the fax up at once, saying so', async () => {
  // One second into the window, at the wall clock's pace: it ends 59 s from now, after the kill time.
  clock.set(WINDOW_START + 1000);
  const faxId = await bed.fax({ numbers: ['+12125550941'], headers: ['X-Fax-Kill-Time: +5s'] });
  const r = await finished(faxId);
  assert.equal(r.state, 'failed');
  assert.equal(r.errorCode, 'FAX_EXPIRED');
  assert.equal(r.attempts, 0, 'never dialled');
  assert.match(r.reason ?? '', /the next call could not start before it \(quiet hours 12:00-12:01 for \+1212555094 in Asia\/Tokyo\)/);
  // Failed at its first decision: the schedule computed then (queued on the decision's MULTI,
  // not written on its own) is still kept on the record, its line before the failure's.
  const view = await records().view(faxId);
  assert.ok(view?.schedule?.killAt, `schedule kept: ${JSON.stringify(view?.schedule)}`);
  const events = (view?.timeline ?? []).map((e) => e.event);
  assert.ok(events.includes('scheduled') && events.indexOf('scheduled') < events.indexOf('failed'), `timeline: ${events.join(', ')}`);
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.text ?? '', /quiet hours/);
});

test('a fax to a number in its quiet hours waits for their end, says why in its timeline, and is sent then; another number goes at once', async () => {
  // One second into the window, running 3 times as fast: it ends about 20 s from now.
  clock.set(WINDOW_START + 1000, 3);
  const windowEnd = clock.wallAt(WINDOW_END);
  const end = new Date(windowEnd).toISOString();
  const quiet = await bed.fax({ numbers: ['+12125550940'] });
  const other = await bed.fax({ numbers: ['+12125550950'] });

  const o = await finished(other);
  assert.equal(o.state, 'sent');
  const oCall = await records().getAttempt(other, 0, 1);
  assert.ok(Date.parse(oCall!.startedAt) < windowEnd, `the number without quiet hours now was dialled at ${oCall!.startedAt}, not held until ${end}`);
  assert.ok(!(await records().view(other))!.timeline.some((e) => e.event.includes('quiet hours')));

  const waiting = await records().getRecipient(quiet, 0);
  assert.equal(waiting?.nextAttemptAt, end, 'the record says when the call will start');
  const timeline = (await records().view(quiet))!.timeline;
  const why = timeline.find((e) => e.event === 'waiting for quiet hours to end');
  assert.ok(why, JSON.stringify(timeline));
  assert.equal(why.detail, `quiet hours 12:00-12:01 for +1212555094 in ${ZONE}: not dialled before ${end}`);

  const q = await finished(quiet, windowEnd - Date.now() + 30_000);
  assert.equal(q.state, 'sent');
  const call = await records().getAttempt(quiet, 0, 1);
  assert.ok(Date.parse(call!.startedAt) >= windowEnd, `dialled at ${call!.startedAt}, inside the quiet hours ending ${end}`);
});
