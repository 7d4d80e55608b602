import { newInboundId } from '@faxgate/queue';
import { inboundBlobKeys, type InboundRecord } from '@faxgate/store';
import type { RoleContext } from '@faxgate/runtime';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';

/**
 * Whether a received fax's call is over (received, routed, delivered or failed), so a re-run of
 * the step that received it must not receive or record it again. A fax received before a crash
 * may still lack its routing job: adding it again is idempotent (deterministic job id).
 */
export async function alreadyReceived(ctx: Pick<RoleContext, 'queues'>, rec: InboundRecord | undefined): Promise<boolean> {
  if (!rec || rec.state === 'offered' || rec.state === 'receiving') return false;
  if (rec.state === 'received') await ctx.queues.add('route-inbound', { inboundId: rec.id });
  return true;
}

/**
 * Where every received call ends on the node, whatever the driver: the TIFF is stored first,
 * then the record says what arrived, then the routing job is queued. Each step is idempotent, so
 * a node that dies between two of them repeats them on the job's retry without a second fax.
 */
export function createReceivedFaxSink(ctx: RoleContext, pool: string) {
  const inbound = ctx.inbound;
  return async (call: Omit<IncomingCall, 'simRemote'>, outcome: ReceiveOutcome, inboundId = newInboundId()): Promise<string> => {
    const now = new Date().toISOString();
    // A call answered by a real driver has no record yet; one offered by `sim receive` has.
    await inbound.create({ id: inboundId, state: 'receiving', createdAt: now, did: call.did, callingNumber: call.callingNumber, ...(call.callingName ? { callingName: call.callingName } : {}), pool, line: call.line, pages: 0, badRows: 0, partial: false, durationMs: 0, deliveryCount: 0 }, 'answered');
    // Handed over again (a source that retries with the same id): nothing is received twice.
    if (await alreadyReceived(ctx, await inbound.get(inboundId))) return inboundId;
    let documentKey: string | undefined;
    if (outcome.document && outcome.pages > 0) {
      documentKey = inboundBlobKeys.document(inboundId);
      await ctx.blobs.put(documentKey, outcome.document);
    }
    const received = outcome.pages > 0;
    ctx.metrics.calls.inc({ pool, direction: 'incoming', result: received ? 'success' : 'failed' });
    if (outcome.durationMs > 0) ctx.metrics.callDuration.observe({ pool, direction: 'incoming' }, outcome.durationMs / 1000);
    if (received) ctx.metrics.pagesReceived.inc({ pool }, outcome.pages);
    await inbound.update(inboundId, {
      state: received ? 'received' : 'failed',
      receivedAt: now,
      line: call.line,
      ...(call.device ? { device: call.device } : {}),
      ...(call.deviceIdentity ? { deviceIdentity: call.deviceIdentity } : {}),
      pages: outcome.pages,
      badRows: outcome.badRows,
      partial: outcome.partial,
      durationMs: outcome.durationMs,
      ...(outcome.csid ? { csid: outcome.csid } : {}),
      ...(outcome.subAddress ? { subAddress: outcome.subAddress } : {}),
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(documentKey ? { documentKey } : {}),
      ...(received ? {} : { finishedAt: now }),
    });
    const detail = `${outcome.pages} page(s)${outcome.partial ? ', partial' : ''}${outcome.badRows ? `, ${outcome.badRows} bad row(s)` : ''} on ${call.line}${outcome.reason ? `; ${outcome.reason}` : ''}`;
    await inbound.event(inboundId, received ? 'received' : 'nothing received', detail);
    ctx.log.info({ inboundId, did: call.did, from: call.callingNumber, csid: outcome.csid, line: call.line, pages: outcome.pages, partial: outcome.partial }, received ? 'fax received' : 'call ended before any page arrived');
    // A call that delivered no page has nothing to route; the record keeps the attempt.
    if (received) await ctx.queues.add('route-inbound', { inboundId });
    return inboundId;
  };
}
