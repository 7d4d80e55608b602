// What the batching tests share, whatever the line driver (simulated line, T.38 to spandsp,
// HylaFAX): faxes queued behind another call to their number so that its next call takes them
// together, their ends awaited, and the fax whose call carried the others told from them.
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { DestinationGate } from '@faxgate/destinations';
import { BatchClaims } from '@faxgate/node';
import type { AttemptRecord, RecipientRecord } from '@faxgate/store';
import type { FaxSpec, SimBed } from './sim-bed.ts';

/**
 * Plays another call to the number in progress (the destination gate's real slot, as a call on
 * another node holds it) while the faxes are queued, and lets go once all of them wait for it:
 * the next call to the number then finds them all waiting. Returns their ids in `faxes`' order.
 */
export async function queueBehindACall(bed: SimBed, number: string, faxes: Omit<FaxSpec, 'numbers'>[]): Promise<string[]> {
  const { redis, base } = bed.gw.ctx;
  const gate = new DestinationGate(redis, base.FAXGATE_QUEUE_PREFIX);
  assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 120_000));
  try {
    const ids = [];
    for (const f of faxes) ids.push(await bed.fax({ ...f, numbers: [number] }));
    const claims = new BatchClaims(redis, base.FAXGATE_QUEUE_PREFIX);
    await waitUntil(`all ${faxes.length} faxes to wait for ${number}`, async () => (await claims.waiting(number, 60_000)).length === faxes.length, 30_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}; waiting: ${JSON.stringify(await claims.waiting(number, 60_000))}`);
    });
    return ids;
  } finally {
    await gate.release(number, 'test-holds-the-number');
  }
}

/** Each fax's (only) recipient once it is sent, failed or cancelled; `evidence` says what the bed saw when one does not end in time. */
export function waitForEnds(bed: SimBed, ids: string[], timeoutMs: number, evidence: (id: string) => Promise<string> | string = () => ''): Promise<RecipientRecord[]> {
  const { records } = bed.gw.ctx;
  return Promise.all(ids.map((id) => waitUntil(`${id}/r0 to end`, async () => {
    const x = await records.getRecipient(id, 0);
    return x && ['sent', 'failed', 'cancelled'].includes(x.state) ? x : undefined;
  }, timeoutMs).catch(async (err) => {
    throw new Error(`${(err as Error).message}${await evidence(id)}`);
  })));
}

/**
 * Faxes of which some went in one call: their first attempts, the call (the one their attempts
 * name in `batchedIn`) and the fax that led it (whose job took the number). Read from the
 * attempts that name it, not from an attempt that names none: a fax the call never reached goes
 * alone afterwards and names none either.
 */
export async function batchLead(bed: SimBed, ids: string[]): Promise<{ firsts: (AttemptRecord | undefined)[]; lead: number; leadCall: string }> {
  const firsts = await Promise.all(ids.map((id) => bed.gw.ctx.records.getAttempt(id, 0, 1)));
  const leadCall = firsts.map((a) => a?.batchedIn).find((c): c is string => !!c);
  assert.ok(leadCall, `no fax went in another's call: ${JSON.stringify(firsts)}`);
  const lead = ids.findIndex((id) => `${id}-r0-a1` === leadCall);
  assert.ok(lead >= 0, `the call ${leadCall} is none of these faxes': ${JSON.stringify(firsts)}`);
  assert.equal(firsts[lead]?.batchedIn, undefined, 'the lead went in no other call');
  return { firsts, lead, leadCall };
}
