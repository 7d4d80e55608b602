import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { FaxRecords, type InboundRecords } from '@faxgate/store';
import { WEBHOOK_EVENTS, WebhookStore, WebhookTargetError, deliverWebhook, newWebhookSecret, publicWebhook, resolveTarget, testWebhookBody, type WebhookEventType } from '@faxgate/webhooks';
import { hasScope, maySee, readsAll, requireScope, type Principal } from '../api/principal.ts';
import { webhookSchemas } from './webhook-schemas.ts';

export interface WebhookRouteDeps {
  redis: Redis;
  queuePrefix: string;
  inbound: InboundRecords;
  allowPrivate: boolean;
}

/** Whoever owns faxes (send, read-own) or sees them all may keep webhooks. */
const owner = requireScope('send', 'read-own', 'read-all');

/** May change or test this webhook: its user, or an admin. */
function mayManage(p: Principal | undefined, user: string): boolean {
  return !!p && (hasScope(p, 'admin') || p.user === user);
}

/**
 * /api/v1/webhooks (create, list, delete, test) and the delivery log of each fax
 * (/api/v1/faxes/:id/webhooks, /api/v1/inbound/:id/webhooks). Deliveries themselves run in the
 * notifier (libs/webhooks): the console only keeps the subscriptions.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps) {
  const store = new WebhookStore(deps.redis, deps.queuePrefix);
  const records = new FaxRecords(deps.redis, deps.queuePrefix);

  app.post<{ Body: { url: string; events?: WebhookEventType[]; all?: boolean; description?: string } }>('/api/v1/webhooks', { schema: webhookSchemas.create, preHandler: owner }, async (req, reply) => {
    const p = req.principal!;
    if (req.body.all && !readsAll(p)) return reply.code(403).send({ error: 'a webhook for every fax needs the read-all or admin scope' });
    try {
      // The same check the notifier makes at each delivery, made now so a bad URL is told at once.
      await resolveTarget(req.body.url, deps.allowPrivate);
    } catch (err) {
      if (err instanceof WebhookTargetError) return reply.code(422).send({ error: err.message });
      throw err;
    }
    const hook = await store.add({
      user: p.user,
      url: req.body.url,
      events: req.body.events ?? [...WEBHOOK_EVENTS],
      all: req.body.all ?? false,
      secret: newWebhookSecret(),
      ...(p.tokenId ? { tokenId: p.tokenId } : {}),
      ...(req.body.description ? { description: req.body.description } : {}),
    });
    req.log.info({ webhook: hook.id, user: hook.user, url: hook.url, events: hook.events }, 'webhook created');
    return reply.code(201).send(hook);
  });

  app.get('/api/v1/webhooks', { schema: webhookSchemas.list, preHandler: owner }, async (req) => {
    const p = req.principal;
    const all = await store.list();
    return { webhooks: all.filter((w) => mayManage(p, w.user)).map(publicWebhook) };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', { schema: webhookSchemas.remove, preHandler: owner }, async (req, reply) => {
    const hook = await store.get(req.params.id);
    // Another user's webhook is "not found", as their faxes are.
    if (!hook || !mayManage(req.principal, hook.user)) return reply.code(404).send({ error: `no webhook ${req.params.id}` });
    await store.remove(hook.id);
    req.log.info({ webhook: hook.id, by: req.principal?.user }, 'webhook deleted');
    return { deleted: hook.id };
  });

  app.post<{ Params: { id: string } }>('/api/v1/webhooks/:id/test', { schema: webhookSchemas.test, preHandler: owner }, async (req, reply) => {
    const hook = await store.get(req.params.id);
    if (!hook || !mayManage(req.principal, hook.user)) return reply.code(404).send({ error: `no webhook ${req.params.id}` });
    const res = await deliverWebhook({ url: hook.url, secret: hook.secret, body: testWebhookBody(hook.id, hook.user), event: 'webhook.test', eventId: `evt_test_${Date.now()}`, allowPrivate: deps.allowPrivate });
    return { ok: res.ok, ms: res.ms, ...(res.status !== undefined ? { status: res.status } : {}), ...(res.error ? { error: res.error } : {}) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/faxes/:id/webhooks', { schema: webhookSchemas.faxLog, preHandler: owner }, async (req, reply) => {
    const fax = await records.getFax(req.params.id);
    if (!fax || !maySee(req.principal, fax.authUser)) return reply.code(404).send({ error: `no fax ${req.params.id}` });
    return { deliveries: await store.deliveries(fax.id) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/inbound/:id/webhooks', { schema: webhookSchemas.inboundLog, preHandler: owner }, async (req, reply) => {
    const rec = await deps.inbound.get(req.params.id);
    if (!rec || !maySee(req.principal, rec.route?.user)) return reply.code(404).send({ error: `no received fax ${req.params.id}` });
    return { deliveries: await store.deliveries(rec.id) };
  });
}
