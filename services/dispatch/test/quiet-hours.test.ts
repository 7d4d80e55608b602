// Issue 14, time windows: quiet hours per destination in the destination's time zone
// (FAXGATE_QUIET_HOURS), on simulated lines. The code has no clock to control, so the window is
// set around the current minute in a real zone: it holds now and ends at the next minute.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { localMinuteOfDay } from '@faxgate/quiet-hours';

const ZONE = 'Asia/Tokyo';
const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

let bed: SimBed;
let windowEnd: number;
before(async () => {
  // At least 40 s before the window ends, so both faxes are scheduled inside it on a loaded
  // machine (the gateway starts in between). A wait for the clock, bounded by 41 s.
  if (new Date().getUTCSeconds() >= 20) await new Promise((r) => setTimeout(r, (61 - new Date().getUTCSeconds()) * 1000));
  const now = Date.now();
  const local = localMinuteOfDay(now, ZONE);
  windowEnd = Math.floor(now / 60_000) * 60_000 + 60_000;
  bed = await startSimBed('faxgate-quiet-hours', {
    FAXGATE_SIM_TIME_SCALE: '0.01',
    // Numbers under +1212555094 are in quiet hours until the next minute (Tokyo time); other US
    // numbers have a one-minute window 12 h from now in Tokyo, which is 1 to 7 h away in every
    // US zone (UTC-4 to UTC-10 against UTC+9), so they are dialled at once. The kill-time test
    // runs first: the other test waits for the window to end.
    FAXGATE_QUIET_HOURS: `+1212555094=${hhmm(local)}-${hhmm((local + 1) % 1440)}@${ZONE},US=${hhmm((local + 720) % 1440)}-${hhmm((local + 721) % 1440)}`,
  });
});
after(async () => {
  await bed?.dispose();
});

const records = () => bed.gw.ctx.records;
const finished = (faxId: string) =>
  waitUntil(`${faxId} to finish`, async () => {
    const x = await records().getRecipient(faxId, 0);
    return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
  }, 120_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the fax: ${JSON.stringify(await records().view(faxId))}`);
  });

test('a kill time that comes before the quiet hours end gives the fax up at once, saying so', async () => {
  const faxId = await bed.fax({ numbers: ['+12125550941'], headers: ['X-Fax-Kill-Time: +5s'] });
  const r = await finished(faxId);
  assert.equal(r.state, 'failed');
  assert.equal(r.errorCode, 'FAX_EXPIRED');
  assert.equal(r.attempts, 0, 'never dialled');
  assert.match(r.reason ?? '', /the next call could not start before it \(quiet hours .* for \+1212555094 in Asia\/Tokyo\)/);
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.text ?? '', /quiet hours/);
});

test('a fax to a number in its quiet hours waits for their end, says why in its timeline, and is sent then; another number goes at once', async () => {
  const quiet = await bed.fax({ numbers: ['+12125550940'] });
  const other = await bed.fax({ numbers: ['+12125550950'] });
  const end = new Date(windowEnd).toISOString();

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
  assert.equal(why.detail, `quiet hours ${hhmm(localMinuteOfDay(windowEnd - 60_000, ZONE))}-${hhmm(localMinuteOfDay(windowEnd, ZONE))} for +1212555094 in ${ZONE}: not dialled before ${end}`);

  const q = await finished(quiet);
  assert.equal(q.state, 'sent');
  const call = await records().getAttempt(quiet, 0, 1);
  assert.ok(Date.parse(call!.startedAt) >= windowEnd, `dialled at ${call!.startedAt}, inside the quiet hours ending ${end}`);
});
