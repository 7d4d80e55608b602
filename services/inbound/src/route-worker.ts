import { Counter } from 'prom-client';
import { UnrecoverableError, createWorker } from '@faxgate/queue';
import type { RoleContext } from '@faxgate/runtime';
import { type DeliveryRecord } from '@faxgate/store';
import type { DirectorySource } from '@faxgate/directory';
import { routeFax } from './router.ts';
import type { InboundConfig } from './config.ts';

/**
 * route-inbound: decides who gets a received fax and queues one mail per delivery. The decision
 * is stored once; a re-run after a crash queues the same deliveries again (their job ids make
 * that a no-op), so nobody gets the fax twice and nobody is skipped.
 */
export function createRouteWorker(ctx: RoleContext, config: InboundConfig, source: DirectorySource) {
  const inbound = ctx.inbound;
  const routed = new Counter({ name: 'faxgate_inbound_routed_total', help: 'Received faxes routed, by the rule that matched (did, sub-address, csid, calling-number, line, unaddressed)', labelNames: ['rule'], registers: [ctx.registry] });
  return createWorker(
    'inbound',
    {
      'route-inbound': async ({ inboundId }) => {
        const fax = await inbound.get(inboundId);
        if (!fax) throw new UnrecoverableError(`no record of received fax ${inboundId}`);
        if (!fax.routedAt) {
          const { directory, version } = await source.fresh();
          const decision = routeFax(directory, { did: fax.did, callingNumber: fax.callingNumber, csid: fax.csid, subAddress: fax.subAddress, pool: fax.pool, line: fax.line });
          const deliveries: DeliveryRecord[] = [{ index: 0, ...(decision.user ? { user: decision.user.id } : {}), to: decision.to, format: decision.format, state: 'pending', attempts: 0 }];
          await inbound.update(inboundId, { fallbackTo: directory.unaddressed });
          const route = { rule: decision.rule, detail: decision.detail, ...(decision.user ? { user: decision.user.id } : {}) };
          if (await inbound.setRoute(inboundId, route, deliveries, new Date().toISOString())) {
            await inbound.event(inboundId, 'routed', `${decision.rule}: ${decision.detail} → ${decision.user ? `user ${decision.user.id} ` : ''}${decision.to.join(', ')} (directory ${version.slice(0, 12)})`);
            routed.inc({ rule: decision.rule });
            ctx.log.info({ inboundId, rule: decision.rule, user: decision.user?.id, to: decision.to }, 'received fax routed');
          }
        }
        const view = await inbound.view(inboundId);
        const pending = (view?.deliveries ?? []).filter((d) => d.state === 'pending' && d.fallbackFor === undefined);
        // A runtime setting: the tries of the moment the mails are queued.
        await ctx.queues.addBulk(pending.map((d) => ({ name: 'inbound-mail' as const, data: { inboundId, delivery: d.index } })), undefined, config.FAXGATE_INBOUND_MAIL_ATTEMPTS);
        return { deliveries: pending.length };
      },
    },
    { connection: ctx.workerConnection(), prefix: ctx.base.FAXGATE_QUEUE_PREFIX, concurrency: config.FAXGATE_INBOUND_CONCURRENCY },
  );
}
