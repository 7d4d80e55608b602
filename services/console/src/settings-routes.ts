// Issue 20: the runtime settings through the console's API (admin only; the caller registers
// these inside the admin scope). The same store, validation and history as `faxgate config`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RoleContext } from '@faxgate/runtime';
import { describeSchema } from '@faxgate/config';
import { RUNTIME_SETTING_GROUPS, SettingsConflict, changeProblems, foldMapEntries, queuedRefusedBy } from '@faxgate/settings';

interface PatchBody {
  /** The version the change was made against (from GET): a stale one is refused with 409. */
  version: number;
  set: Record<string, string | null>;
  reason?: string;
}

const who = (req: FastifyRequest) => (req as FastifyRequest & { principal?: { user: string } }).principal?.user ?? 'console';

export function registerSettingsRoutes(app: FastifyInstance, ctx: RoleContext): void {
  const store = ctx.settings.store;
  const schemas = ctx.settingsSchemas;
  // What a setting is when neither the store nor this process's environment sets it.
  const defaults = new Map(schemas.flatMap((sc) => describeSchema('settings', sc).map((d) => [d.name, d.default] as const)));

  app.get('/api/v1/settings', async () => {
    const cur = await store.current();
    const settings = RUNTIME_SETTING_GROUPS.flatMap((g) =>
      g.names.map((name) => {
        const from = name in cur.values ? 'store' : process.env[name] !== undefined && process.env[name] !== '' ? 'environment' : 'default';
        return { name, group: g.title, value: from === 'store' ? cur.values[name] : from === 'environment' ? process.env[name]! : (defaults.get(name) ?? ''), from };
      }),
    );
    return { version: cur.version, at: cur.at, by: cur.by, reason: cur.reason, settings, processes: await store.applied() };
  });

  app.get<{ Querystring: { limit?: string } }>('/api/v1/settings/history', async (req) => ({ history: await store.history(Math.min(1000, Number(req.query.limit ?? 100) || 100)) }));

  /** Validates and, unless ?dryRun=true, saves a change; shared by PATCH and rollback. */
  const change = async (req: FastifyRequest, reply: import('fastify').FastifyReply, body: PatchBody, replace: boolean) => {
    if (!body || typeof body !== 'object' || !Number.isInteger(body.version) || typeof body.set !== 'object' || body.set === null) {
      return reply.code(400).send({ error: 'give {"version": <the version you changed>, "set": {"FAXGATE_…": "value" or null}, "reason": "…"}' });
    }
    const cur = await store.current();
    // "FAXGATE_COVER_TEMPLATES.<name>" edits one template: the whole new map is checked and stored.
    // Folded on the current version; if that is not the one the edit was made against, the
    // change below is refused with 409 anyway.
    let set: Record<string, string | null>;
    try {
      set = foldMapEntries(body.set, (name) => cur.values[name] ?? (process.env[name] || defaults.get(name)));
    } catch (err) {
      return reply.code(422).send({ error: 'refused; nothing changed', problems: [(err as Error).message] });
    }
    const problems = changeProblems(schemas, set);
    if (problems.length) return reply.code(422).send({ error: 'refused; nothing changed', problems });
    if ((req.query as { dryRun?: string }).dryRun === 'true') {
      const next: Record<string, string> = replace ? {} : { ...cur.values };
      for (const [k, v] of Object.entries(set)) if (v === null) delete next[k];
      else next[k] = v;
      return { version: cur.version, valid: true, refusedQueued: await queuedRefusedBy(ctx.redis, ctx.base.FAXGATE_QUEUE_PREFIX, process.env, cur.values, next) };
    }
    if (!body.reason) return reply.code(400).send({ error: 'say why in "reason" (it goes into the history)' });
    try {
      return await store.change({ expected: body.version, set, by: who(req), reason: body.reason, replace });
    } catch (err) {
      if (err instanceof SettingsConflict) return reply.code(409).send({ error: err.message, version: err.current });
      throw err;
    }
  };

  app.patch<{ Body: PatchBody; Querystring: { dryRun?: string } }>('/api/v1/settings', async (req, reply) => change(req, reply, req.body, false));

  app.post<{ Body: { to: number; version: number; reason?: string }; Querystring: { dryRun?: string } }>('/api/v1/settings/rollback', async (req, reply) => {
    const target = Number.isInteger(req.body?.to) ? await store.version(req.body.to) : undefined;
    if (!target) return reply.code(404).send({ error: `no version ${req.body?.to}` });
    return change(req, reply, { version: req.body.version, set: target.values, reason: req.body.reason }, true);
  });
}
