// Issue 14, batching: faxes waiting for a number that is on another call go out together in its
// next call, one document each (T.30 EOM between them); each fax keeps its own attempt, record
// and result mail. The simulated remote machine is the judge: it counts the calls to a number,
// keeps what each call carried, and counts what it printed per fax.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitUntil, textPage } from '@faxgate/testkit';
import { Destinations } from '@faxgate/destinations';
import { readTiff, writeTiff } from '@faxgate/fax-image';
import { BatchClaims, simPrintedKey } from '@faxgate/node';
import { cancelFax } from '@faxgate/fax-control';
import type { AttemptRecord, RecipientRecord } from '@faxgate/store';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { batchLead, queueBehindACall, waitForEnds } from './batch-bed.ts';

let bed: SimBed;
before(async () => {
  bed = await startSimBed('faxgate-batching', {
    FAXGATE_NODE_LINES: '3',
    FAXGATE_SIM_TIME_SCALE: '0.06',
    // The first call to this number is lost after the third page it carried.
    FAXGATE_SIM_OUTCOMES: '+12125550942=no-carrier@3:1',
    FAXGATE_RETRY_FAILED_DELAY: '1s',
  });
});
after(async () => {
  await bed?.dispose();
});

const ctx = () => bed.gw.ctx;
const prefix = () => ctx().base.FAXGATE_QUEUE_PREFIX;
const records = () => ctx().records;

/** A document whose pages differ from every other fax's (seeded text), so pages can be told apart. */
function documentOf(seed: number, pages: number): Uint8Array {
  return writeTiff(Array.from({ length: pages }, (_, i) => ({ bitmap: textPage(1728, 300, seed * 10 + i), xDpi: 204, yDpi: 98 })), { compression: 'mmr' });
}


async function attempts(faxId: string, r: RecipientRecord): Promise<AttemptRecord[]> {
  const out: AttemptRecord[] = [];
  for (let n = 1; n <= r.attempts; n++) {
    const a = await records().getAttempt(faxId, 0, n);
    if (a) out.push(a);
  }
  return out;
}

/** Faxes of distinct documents queued behind another call to the number (batch-bed.ts). */
async function queueDocsBehindACall(number: string, docs: { seed: number; pages: number }[]): Promise<{ id: string; doc: Uint8Array }[]> {
  const specs = docs.map((d, i) => ({ pages: d.pages, document: documentOf(d.seed, d.pages), sender: `s${i}@example.com` }));
  const ids = await queueBehindACall(bed, number, specs);
  return ids.map((id, i) => ({ id, doc: specs[i].document }));
}

const simCalls = async (number: string) => Number((await ctx().redis.get(`${prefix()}:sim:calls:${number}`)) ?? 0);
const printed = async (callId: string) => Object.fromEntries(Object.entries(await ctx().redis.hgetall(simPrintedKey(prefix(), callId))).map(([k, v]) => [k, Number(v)]));

test('two faxes to one number make one call carrying both: the simulated remote logs one call with all pages, each fax its own record and result mail', async () => {
  const number = '+12125550941';
  const faxes = await queueDocsBehindACall(number, [{ seed: 1, pages: 2 }, { seed: 2, pages: 1 }]);
  const ends = await waitForEnds(bed, faxes.map((f) => f.id), 90_000);
  assert.deepEqual(ends.map((r) => r.state), ['sent', 'sent']);
  assert.equal(await simCalls(number), 1, 'one call to the number');
  // Destination memory counts calls, not faxes: the batch was one call.
  assert.equal((await new Destinations(ctx().redis, prefix()).get(number))?.calls, 1);

  // The lead is the fax whose job took the number first; the other went in its call.
  const { firsts, lead, leadCall } = await batchLead(bed, faxes.map((f) => f.id));
  const member = 1 - lead;
  assert.equal(firsts[member]?.batchedIn, leadCall);
  for (const [i, r] of ends.entries()) {
    assert.equal(r.attempts, 1, `fax ${i}: one attempt`);
    assert.equal(r.pagesSent, [2, 1][i], `fax ${i}: its own pages`);
    assert.equal(firsts[i]?.result, 'success');
    assert.equal(firsts[i]?.pagesSent, [2, 1][i]);
  }

  // What the remote received in that call: the lead's pages, then the other fax's, pixel for pixel.
  const received = readTiff(await readFile(join(ctx().blobs.root, 'sim-received', `${leadCall}.tif`)));
  const expected = [...readTiff(faxes[lead].doc), ...readTiff(faxes[member].doc)];
  assert.equal(received.length, 3, 'all pages in the one call');
  for (const [i, p] of received.entries()) assert.ok(Buffer.from(p.decode().data).equals(Buffer.from(expected[i].decode().data)), `page ${i + 1} of the call differs from the fax's page`);
  assert.deepEqual(await printed(`${faxes[member].id}-r0-a1`), { 1: 1 }, 'the other fax printed on its own paper count');

  for (const f of faxes) {
    const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === f.id, 30_000);
    assert.match(mail.parsed.subject ?? '', /sent/i);
  }
});

test('a batched call lost on the second fax: the first is sent, the second resumes alone after its confirmed page, the third goes alone; no page twice', async () => {
  const number = '+12125550942';
  const faxes = await queueDocsBehindACall(number, [{ seed: 3, pages: 2 }, { seed: 4, pages: 2 }, { seed: 5, pages: 2 }]);
  const ends = await waitForEnds(bed, faxes.map((f) => f.id), 90_000);
  assert.deepEqual(ends.map((r) => r.state), ['sent', 'sent', 'sent']);

  const { firsts, lead, leadCall } = await batchLead(bed, faxes.map((f) => f.id));
  // Members go in fax id order: the second document of the call is the oldest other fax.
  const others = faxes.map((_, i) => i).filter((i) => i !== lead);
  const [second, third] = others;
  // The lead's two pages were confirmed before the call was lost: sent, in one attempt.
  assert.equal(ends[lead].attempts, 1);
  assert.equal(firsts[lead]?.result, 'success');
  // The second fax had one page confirmed in the lead's call and sent the rest in a call of its own.
  const secondAttempts = await attempts(faxes[second].id, ends[second]);
  assert.equal(secondAttempts[0].batchedIn, leadCall);
  assert.equal(secondAttempts[0].result, 'no-carrier');
  assert.equal(secondAttempts[0].pagesSent, 1);
  assert.equal(secondAttempts.at(-1)?.fromPage, 2, 'resumed after its confirmed page');
  // The third was never on the line in that call: no attempt of it belongs to the lead's call.
  const thirdAttempts = await attempts(faxes[third].id, ends[third]);
  assert.ok(thirdAttempts.every((a) => a.batchedIn !== leadCall), `the third fax's attempts: ${JSON.stringify(thirdAttempts)}`);

  for (const f of faxes) assert.deepEqual(await printed(`${f.id}-r0-a1`), { 1: 1, 2: 1 }, `fax ${f.id}: each page printed once`);
  const calls = await simCalls(number);
  assert.ok(calls >= 2);
  assert.equal((await new Destinations(ctx().redis, prefix()).get(number))?.calls, calls, 'destination memory learned each call once');
});

test('a fax cancelled while it waits in a batched call: the call hangs up before its document (at the latest inside it), the fax ends cancelled, the fax after it goes alone', async () => {
  const number = '+12125550943';
  const faxes = await queueDocsBehindACall(number, [{ seed: 6, pages: 5 }, { seed: 7, pages: 5 }, { seed: 8, pages: 5 }]);
  const claims = new BatchClaims(ctx().redis, prefix());
  // The call has started when two of the three are claimed by the third's call.
  const owners = await waitUntil('the batched call to claim the other two faxes', async () => {
    const o = await Promise.all(faxes.map((f) => claims.owner(`${f.id}-r0-a1`)));
    const lead = faxes.findIndex((f, i) => o[i] === `${f.id}-r0-a1`);
    return lead >= 0 && o.filter((x) => x === `${faxes[lead].id}-r0-a1`).length === 3 ? { lead } : undefined;
  }, 30_000, 20);
  const lead = owners.lead;
  // Members go in fax id order: cancel the one whose document comes right after the lead's.
  const [second, third] = faxes.map((_, i) => i).filter((i) => i !== lead);
  await cancelFax(ctx(), faxes[second].id, { by: 'ops@example.com' });

  const ends = await waitForEnds(bed, faxes.map((f) => f.id), 90_000);
  assert.equal(ends[lead].state, 'sent');
  assert.equal(ends[lead].attempts, 1);
  assert.equal(ends[second].state, 'cancelled');
  assert.equal(ends[third].state, 'sent');
  const leadCall = `${faxes[lead].id}-r0-a1`;
  const thirdAttempts = await attempts(faxes[third].id, ends[third]);
  assert.ok(thirdAttempts.every((a) => a.batchedIn !== leadCall), `the third fax was not sent in the call that hung up: ${JSON.stringify(thirdAttempts)}`);
  // The cancelled fax: none of its pages after the hang-up; the cancel lands before its
  // document unless this machine is very slow, and then inside it.
  const cancelledPrinted = await printed(`${faxes[second].id}-r0-a1`);
  assert.ok(Object.keys(cancelledPrinted).length < 5, `every page of the cancelled fax was printed: ${JSON.stringify(cancelledPrinted)}`);
  assert.ok(Object.values(cancelledPrinted).every((n) => n === 1));
  for (const i of [lead, third]) assert.deepEqual(await printed(`${faxes[i].id}-r0-a1`), { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
});
