// Issue 14: cancel, hold and release through libs/fax-control, on simulated lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil, assertNothingFor } from '@faxgate/testkit';
import { cancelFax, holdFax, releaseFax, resubmitFax } from '@faxgate/fax-control';
import { startSimBed, type SimBed } from './sim-bed.ts';

let bed: SimBed;
before(async () => {
  // One call takes about 8 s (8 s ring + T.30 at half speed): long enough to cancel one on the line.
  bed = await startSimBed('faxgate-fax-control', { FAXGATE_SIM_TIME_SCALE: '0.5', FAXGATE_NODE_LINES: '2' });
});
after(async () => {
  await bed?.dispose();
});

const recipientOf = (faxId: string, i = 0) => bed.gw.ctx.records.getRecipient(faxId, i);
const mailFor = (faxId: string) => bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);

test('cancel during a call: the node hangs up at once, the record says cancelled and by whom, the result mail says so, and nothing is retried', async () => {
  const faxId = await bed.fax({ numbers: ['+12125550301'] });
  const calling = await waitUntil('the call to be on the line', async () => ((await recipientOf(faxId))?.state === 'calling' ? Date.now() : undefined), 30_000);
  const res = await cancelFax(bed.gw.ctx, faxId, { by: 'ops@example.com (console)', reason: 'wrong document' });
  assert.deepEqual(res.changed, [0]);
  const attempt = await waitUntil('the aborted call to record its outcome', async () => {
    const a = await bed.gw.ctx.records.getAttempt(faxId, 0, 1);
    return a?.result ? a : undefined;
  }, 10_000);
  assert.ok(Date.now() - calling < 6_000, 'the call ended well before its 8 s');
  assert.equal(attempt.result, 'failed');
  assert.match(attempt.reason ?? '', /cancelled by ops@example.com \(console\): wrong document/);
  const r = await recipientOf(faxId);
  assert.equal(r?.state, 'cancelled');
  assert.equal(r?.cancelledBy, 'ops@example.com (console)');
  const mail = await mailFor(faxId);
  assert.match(mail.parsed.subject ?? '', /FAILED/);
  assert.match(mail.parsed.text ?? '', /Reason: the fax was cancelled by ops@example\.com \(console\): wrong document/);
  const fax = await bed.gw.ctx.records.getFax(faxId);
  assert.equal(fax?.state, 'cancelled');
  assert.equal(fax?.cancelledBy, 'ops@example.com (console)');
  await assertNothingFor('a second call', async () => (await bed.calls().getJobState(`call-${faxId}-r0-a2`)) !== 'unknown', 2_000);
  assert.equal(existsSync(join(bed.dataDir, 'sim-received', `${faxId}-r0-a1.tif`)), false, 'the remote machine printed nothing');
  assert.deepEqual((await cancelFax(bed.gw.ctx, faxId, { by: 'ops@example.com' })).changed, [], 'cancelling again changes nothing');
});

test('cancel before the dial: the queued call is taken off the line queue and never dialled; one recipient of two', async () => {
  await bed.calls().pause();
  let faxId: string;
  try {
    faxId = await bed.fax({ numbers: ['+12125550302', '+12125550303'] });
    await waitUntil('both calls to be queued', async () => (await bed.calls().getJobState(`call-${faxId}-r1-a1`)) !== 'unknown' && (await bed.calls().getJobState(`call-${faxId}-r0-a1`)) !== 'unknown', 20_000);
    const res = await cancelFax(bed.gw.ctx, faxId, { recipient: 1, by: 'bob@example.com' });
    assert.deepEqual(res.changed, [1]);
    assert.equal(await bed.calls().getJobState(`call-${faxId}-r1-a1`), 'unknown', 'the call job is gone');
  } finally {
    await bed.calls().resume();
  }
  // One mail per recipient, or one broadcast summary listing both (the notifier decides).
  const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && /cancelled by bob@example\.com/.test(m.parsed.text ?? ''), 60_000);
  assert.match(mail.parsed.text ?? '', /12125550303/);
  await waitUntil('the other recipient to be sent as usual', async () => (await recipientOf(faxId!, 0))?.state === 'sent', 30_000);
  const r1 = await recipientOf(faxId!, 1);
  assert.equal(r1?.state, 'cancelled');
  assert.equal(r1?.attempts, 0);
  assert.equal((await bed.gw.ctx.records.getFax(faxId!))?.state, 'failed', 'one sent, one cancelled: not done');
});

test('hold keeps a fax off the lines until release, then it is sent; resubmit makes a new fax of the same message', async () => {
  await bed.calls().pause();
  let faxId: string;
  try {
    faxId = await bed.fax({ numbers: ['+12125550304'] });
    await waitUntil('the call to be queued', async () => (await bed.calls().getJobState(`call-${faxId}-r0-a1`)) !== 'unknown', 20_000);
    assert.deepEqual((await holdFax(bed.gw.ctx, faxId, { by: 'carol@example.com' })).changed, [0]);
  } finally {
    await bed.calls().resume();
  }
  const held = await recipientOf(faxId!);
  assert.equal(held?.state, 'held');
  assert.equal(held?.heldBy, 'carol@example.com');
  await assertNothingFor('a call while held', async () => (await recipientOf(faxId))?.state !== 'held', 2_000);
  assert.deepEqual((await releaseFax(bed.gw.ctx, faxId!, { by: 'carol@example.com' })).changed, [0]);
  const mail = await mailFor(faxId!);
  assert.match(mail.parsed.subject ?? '', /sent/);
  const view = await bed.gw.ctx.records.view(faxId!);
  assert.deepEqual(view?.timeline.filter((e) => ['held', 'released', 'sent'].includes(e.event)).map((e) => e.event), ['held', 'released', 'sent']);

  const again = await resubmitFax(bed.gw.ctx, faxId!, { by: 'carol@example.com' });
  const copy = await bed.gw.ctx.records.getFax(again.faxId);
  assert.equal(copy?.resubmittedFrom, faxId);
  assert.equal(copy?.messageKey, (await bed.gw.ctx.records.getFax(faxId!))?.messageKey);
  assert.equal((await bed.gw.ctx.queues.queue('render').getJobState(`render-${again.faxId}`)) !== 'unknown', true, 'the copy is queued for rendering');
});
