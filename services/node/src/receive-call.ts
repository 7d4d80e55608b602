import { UnrecoverableError, type JobData } from '@faxgate/queue';
import type { RoleContext } from '@faxgate/runtime';
import type { LineDriver } from '@faxgate/line-driver';
import type { LinePool } from './line-pool.ts';
import { alreadyReceived, createReceivedFaxSink } from './received-fax.ts';

/**
 * receive-call: a simulated incoming call offered to this pool takes a free line like an
 * outgoing call does, runs through the driver's receive side, and lands in the received-fax
 * sink. A call already received is not received again when the job re-runs.
 */
export function createReceiveCallHandler(ctx: RoleContext, pool: string, lines: LinePool, driver: LineDriver, aborts: Set<AbortController>) {
  const inbound = ctx.inbound;
  const sink = createReceivedFaxSink(ctx, pool);
  return async (data: JobData<'receive-call'>) => {
    const rec = await inbound.get(data.inboundId);
    if (await alreadyReceived(ctx, rec)) return { skipped: `already ${rec?.state}` };
    if (!driver.receive) throw new UnrecoverableError(`the ${driver.name} line driver does not receive calls`);
    const document = await ctx.blobs.get(data.documentKey);
    // The worker runs a few more jobs than there are lines (outgoing calls made ready): an
    // incoming call waits its turn for a line like they do.
    const line = await lines.acquire(`receive-${data.inboundId}`);
    const ac = new AbortController();
    aborts.add(ac);
    ctx.metrics.callsActive.inc({ pool });
    try {
      await inbound.update(data.inboundId, { state: 'receiving', line });
      await inbound.event(data.inboundId, 'answered', `on ${line}`);
      const call = { callId: `receive-${data.inboundId}`, line, did: data.did, callingNumber: data.callingNumber };
      const outcome = await driver.receive({ ...call, simRemote: { document, csid: data.csid, subAddress: data.subAddress, failAfterPage: data.failAfterPage } }, ac.signal);
      await sink(call, outcome, data.inboundId);
      await ctx.blobs.delete(data.documentKey);
      return { pages: outcome.pages, partial: outcome.partial };
    } finally {
      aborts.delete(ac);
      ctx.metrics.callsActive.dec({ pool });
      lines.release(line);
    }
  };
}
