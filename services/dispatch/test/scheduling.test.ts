// Issue 14: priorities and fairness, one call per destination, send-at and kill time, and
// destination memory, on simulated lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { Destinations } from '@faxgate/destinations';
import type { AttemptRecord } from '@faxgate/store';
import { startSimBed, type SimBed } from './sim-bed.ts';

let bed: SimBed;
before(async () => {
  // Two lines; a one-page call takes about 1 s (17 s of simulated call at 0.06).
  bed = await startSimBed('faxgate-scheduling', {
    FAXGATE_NODE_LINES: '2',
    FAXGATE_SIM_TIME_SCALE: '0.06',
    FAXGATE_SIM_OUTCOMES: '+12125550700=busy;+12125550800=voice;+12125550750=no-answer',
    FAXGATE_RETRY_BUSY_DELAY: '1s',
    FAXGATE_RETRY_NO_ANSWER_DELAY: '1s',
    FAXGATE_RETRY_FAILED_DELAY: '1s',
    FAXGATE_DESTINATION_MAX_FAILURES: '3',
    FAXGATE_PRIORITY_SENDERS: 'boss@example.com=urgent,@news.example=bulk',
  });
});
after(async () => {
  await bed?.dispose();
});

const records = () => bed.gw.ctx.records;
const attempt = async (faxId: string, r: number, n = 1): Promise<AttemptRecord | undefined> => records().getAttempt(faxId, r, n);
const started = async (faxId: string, r = 0): Promise<number | undefined> => {
  const a = await attempt(faxId, r);
  return a?.startedAt ? Date.parse(a.startedAt) : undefined;
};
const finished = (faxId: string, r = 0) => waitUntil(`${faxId}/r${r} to finish`, async () => {
  const x = await records().getRecipient(faxId, r);
  return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
}, 60_000);

test('two faxes to the same number never dial at once: the second call starts after the first ended', async () => {
  const a = await bed.fax({ numbers: ['+12125550910'], pages: 2 });
  const b = await bed.fax({ numbers: ['+12125550910'], sender: 'dave@example.com' });
  await finished(a);
  await finished(b);
  const [x, y] = [(await attempt(a, 0))!, (await attempt(b, 0))!].sort((p, q) => Date.parse(p.startedAt) - Date.parse(q.startedAt));
  assert.ok(x.endedAt && y.endedAt);
  assert.ok(Date.parse(y.startedAt) >= Date.parse(x.endedAt!), `the calls overlapped: ${JSON.stringify([x, y])}`);
  assert.equal((await records().getRecipient(a, 0))?.state, 'sent');
  assert.equal((await records().getRecipient(b, 0))?.state, 'sent');
});

test('X-Fax-Send-At: no call before the time', async () => {
  const at = new Date(Date.now() + 4000);
  const faxId = await bed.fax({ numbers: ['+12125550920'], headers: [`X-Fax-Send-At: ${at.toUTCString()}`] });
  const r = await finished(faxId);
  assert.equal(r.state, 'sent');
  // toUTCString drops the milliseconds.
  assert.ok((await started(faxId))! >= Math.floor(at.getTime() / 1000) * 1000, `dialled before ${at.toISOString()}`);
  assert.equal((await records().getFax(faxId))?.schedule?.sendAt, new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString());
});

test('kill time: a busy number is given up when its next call could not start in time, and a fax that never got a line is given up at the time; each result mail says why', async () => {
  const busy = await bed.fax({ numbers: ['+12125550700'], headers: ['X-Fax-Kill-Time: +8s'] });
  const r = await finished(busy);
  assert.equal(r.state, 'failed');
  assert.equal(r.errorCode, 'FAX_EXPIRED');
  assert.ok(r.attempts >= 2, `retried until the kill time: ${r.attempts} call(s)`);
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === busy, 30_000);
  assert.match(mail.parsed.text ?? '', /Reason: the fax could not be sent before its kill time \(.*Z; .*busy/);

  await bed.calls().pause();
  let waiting: string;
  try {
    waiting = await bed.fax({ numbers: ['+12125550930'], headers: ['X-Fax-Kill-Time: +2s'] });
    const w = await finished(waiting);
    assert.equal(w.errorCode, 'FAX_EXPIRED');
    assert.match(w.reason ?? '', /it was never dialled/);
    // The record says failed first, then the queued call is removed: wait for the second step.
    await waitUntil('its call to be taken off the queue', async () => (await bed.calls().getJobState(`call-${waiting}-r0-a1`)) === 'unknown', 10_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: the call job is ${await bed.calls().getJobState(`call-${waiting}-r0-a1`)}`);
    });
  } finally {
    await bed.calls().resume();
  }
  const m2 = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === waiting, 30_000);
  assert.match(m2.parsed.subject ?? '', /FAILED: the fax could not be sent before its kill time/);
});

test('destination memory: a voice answer holds the number and the sender is told; an admin block refuses it; what a good call offered is remembered', async () => {
  const dest = new Destinations(bed.gw.ctx.redis, bed.gw.ctx.base.FAXGATE_QUEUE_PREFIX);
  const voice = await bed.fax({ numbers: ['+12125550800'] });
  const r = await finished(voice);
  assert.equal(r.state, 'failed');
  assert.equal(r.errorCode, 'DESTINATION_HELD');
  assert.equal(r.attempts, 1, 'not redialled after the voice answer');
  assert.match(r.reason ?? '', /not dialled for a while .*answered without a fax tone/);
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === voice, 30_000);
  assert.match(mail.parsed.text ?? '', /answered without a fax tone.*not dialled before/s);
  const again = await bed.fax({ numbers: ['+12125550800'] });
  const r2 = await finished(again);
  assert.equal(r2.errorCode, 'DESTINATION_HELD');
  assert.equal(r2.attempts, 0, 'a held number is not dialled at all');
  const known = await dest.get('+12125550800');
  assert.ok(known?.noFaxToneAt && known.heldUntil, JSON.stringify(known));

  const good = await bed.fax({ numbers: ['+12125550940'] });
  assert.equal((await finished(good)).state, 'sent');
  const d = await dest.get('+12125550940');
  assert.equal(d?.csi, '+1 555 0100 SIMFAX');
  assert.equal(d?.lastGoodSpeed, 14400);
  assert.deepEqual(d?.dis?.rates, [2400, 4800, 7200, 9600, 12000, 14400]);
  assert.equal(d?.lastResult, 'success');

  await dest.block('+12125550940', 'admin', 'the owner asked');
  const blocked = await bed.fax({ numbers: ['+12125550940'] });
  const r3 = await finished(blocked);
  assert.equal(r3.errorCode, 'DESTINATION_BLOCKED');
  assert.match(r3.reason ?? '', /blocked by admin at .*: the owner asked/);
  await dest.unblock('+12125550940');
  assert.equal((await finished(await bed.fax({ numbers: ['+12125550940'] }))).state, 'sent');
});

test('destination memory: a number that failed FAXGATE_DESTINATION_MAX_FAILURES times within the window is held; its fax and the next one are told why', async () => {
  const first = await bed.fax({ numbers: ['+12125550750'] });
  const r = await finished(first);
  assert.equal(r.errorCode, 'DESTINATION_HELD', `${r.reason}`);
  assert.equal(r.attempts, 3, 'three unanswered calls, then no more (FAXGATE_RETRY_MAX_DIALS is 12)');
  assert.match(r.reason ?? '', /\+12125550750: 3 failed calls to this number between .* and .*; not dialled before /);
  const next = await finished(await bed.fax({ numbers: ['+12125550750'] }));
  assert.equal(next.errorCode, 'DESTINATION_HELD');
  assert.equal(next.attempts, 0);
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === first, 30_000);
  assert.match(mail.parsed.text ?? '', /not dialled for a while after repeated failed calls/);
});

// Last: the broadcast keeps both lines busy until the bed is disposed.
test('an urgent fax, and a normal fax of another sender, queued behind a 500-recipient broadcast start within one free-line interval', async () => {
  const numbers = Array.from({ length: 500 }, (_, i) => `+1212556${String(i).padStart(4, '0')}`);
  const broadcast = await bed.fax({ sender: 'bulk@example.com', numbers, subject: 'newsletter' });
  // The broadcast is queued and its calls are running on both lines.
  await waitUntil('the broadcast to be queued and calling', async () => (await bed.calls().getJobCounts('prioritized')).prioritized > 400 && (await started(broadcast, 1)) !== undefined, 60_000);
  const urgent = await bed.fax({ sender: 'bulk@example.com', numbers: ['+12125550900'], headers: ['X-Fax-Priority: urgent'] });
  const other = await bed.fax({ sender: 'carol@example.com', numbers: ['+12125550901'] });
  const queuedAt = async (faxId: string) => (await waitUntil(`the call of ${faxId} to be queued`, () => bed.calls().getJob(`call-${faxId}-r0-a1`), 20_000)).timestamp;
  const tUrgent = await queuedAt(urgent);
  const tOther = await queuedAt(other);
  const sUrgent = await waitUntil('the urgent call to start', () => started(urgent), 30_000);
  const sOther = await waitUntil('the other sender\'s call to start', () => started(other), 30_000);
  // Broadcast calls that started after each fax was queued and before it.
  const broadcastStarts: number[] = [];
  for (let i = 0; i < numbers.length; i++) {
    const s = await started(broadcast, i);
    if (s !== undefined) broadcastStarts.push(s);
  }
  const between = (from: number, to: number) => broadcastStarts.filter((s) => s > from && s < to).length;
  const durations: number[] = [];
  for (let i = 0; i < 10; i++) {
    const a = await attempt(broadcast, i);
    if (a?.endedAt) durations.push(Date.parse(a.endedAt) - Date.parse(a.startedAt));
  }
  const callMs = Math.max(...durations);
  const evidence = JSON.stringify({ tUrgent, sUrgent, tOther, sOther, callMs, broadcastStarted: broadcastStarts.length, betweenUrgent: between(tUrgent, sUrgent), betweenOther: between(tOther, sOther) });
  console.log(`# priority evidence: ${evidence}`);
  assert.ok(broadcastStarts.length < 100, `the broadcast was still queued: ${evidence}`);
  // The first line to come free takes it: at most one broadcast call (taken at that instant) slips
  // in. The time bounds leave 3 s for a loaded machine; the count is what proves the order.
  assert.ok(between(tUrgent, sUrgent) <= 1, `broadcast calls started ahead of the urgent fax: ${evidence}`);
  assert.ok(sUrgent - tUrgent <= callMs + 3000, `the urgent fax waited longer than one call: ${evidence}`);
  assert.ok(between(tOther, sOther) <= 2, `the other sender waited behind the broadcast: ${evidence}`);
  assert.ok(sOther - tOther <= 2 * callMs + 3000, `the other sender waited longer than two calls: ${evidence}`);
  assert.equal((await records().getFax(urgent))?.schedule?.priority, 'urgent');
});

test('sender classes (FAXGATE_PRIORITY_SENDERS): a sender\'s class is its faxes\' priority unless the mail names one', async () => {
  const boss = await bed.fax({ sender: 'Boss@Example.com', numbers: ['+12125550910'] });
  const news = await bed.fax({ sender: 'letters@news.example', numbers: ['+12125550911'] });
  const named = await bed.fax({ sender: 'letters@news.example', numbers: ['+12125550912'], headers: ['X-Fax-Priority: high'] });
  const plain = await bed.fax({ sender: 'carol@example.com', numbers: ['+12125550913'] });
  const ids = [boss, news, named, plain];
  const schedules = await waitUntil('the four faxes to be scheduled', async () => {
    const all = await Promise.all(ids.map(async (id) => (await records().getFax(id))?.schedule));
    return all.every(Boolean) ? all : undefined;
  }, 30_000);
  assert.deepEqual(schedules.map((x) => x?.priority), ['urgent', 'bulk', 'high', 'normal']);
  // The queued call carries it: every urgent call before every normal one (call-priority.ts).
  const view = await records().view(boss);
  assert.ok(view?.timeline.some((e) => e.event === 'scheduled' && /^urgent priority/.test(e.detail ?? '')), JSON.stringify(view?.timeline));
  // Not awaited to their end: the bulk one waits behind what is left of the broadcast above.
});
