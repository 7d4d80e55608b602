import type { FastifyInstance } from 'fastify';
import type { RoleContext } from '@faxgate/runtime';
import { PodDiscovery, inCluster, inClusterKubeConfig, lineStatusKeys, podNamespace, readLineStatus, setNodeDrain, type DiscoveredPod, type NodeLineStatus } from '@faxgate/k8s';

/** The labels the Helm chart puts on node-daemon pods. */
export const NODE_POD_SELECTOR = 'app.kubernetes.io/name=faxgate,app.kubernetes.io/component=node';

export interface LineStatusRouteOptions {
  /** Pod discovery to join with the published status; by default one is started when running in Kubernetes. */
  discovery?: PodDiscovery;
  env?: NodeJS.ProcessEnv;
}

/**
 * GET /api/v1/lines: every node daemon with its pool, lines (a modem line down with its
 * reason) and current calls, as the nodes
 * publish them to Redis; in Kubernetes joined with the node pods found by label, so a pod that
 * runs but publishes nothing (stuck, or still starting) shows up too.
 * POST/DELETE /api/v1/nodes/:id/drain: stop a node taking new calls (its running calls finish),
 * or let it take calls again.
 */
export function registerLineStatusRoutes(app: FastifyInstance, ctx: RoleContext, opts: LineStatusRouteOptions = {}) {
  const prefix = ctx.base.FAXGATE_QUEUE_PREFIX;
  let discovery = opts.discovery;
  if (!discovery && inCluster(opts.env ?? process.env)) {
    const env = opts.env ?? process.env;
    discovery = new PodDiscovery({
      kubeConfig: inClusterKubeConfig(),
      namespace: podNamespace(env),
      labelSelector: NODE_POD_SELECTOR,
      log: (msg, err) => ctx.log.warn({ err: (err as Error | undefined)?.message }, msg),
    });
    const d = discovery;
    app.addHook('onReady', async () => {
      d.start().catch((err) => ctx.log.warn({ err: (err as Error).message }, 'node pod discovery did not start'));
    });
    app.addHook('onClose', async () => d.stop());
  }

  app.get('/api/v1/lines', async () => {
    const published = await readLineStatus(ctx.redis, prefix);
    const pods = new Map<string, DiscoveredPod>((discovery?.pods() ?? []).map((p) => [p.name, p]));
    const nodes: Array<NodeLineStatus & { drainRequested: boolean; pod?: DiscoveredPod; heartbeat: boolean }> = published.map((n) => ({
      ...n,
      drainRequested: false,
      heartbeat: true,
      ...(pods.has(n.nodeId) ? { pod: pods.get(n.nodeId) } : {}),
    }));
    for (const p of pods.values()) {
      if (published.some((n) => n.nodeId === p.name)) continue;
      nodes.push({ nodeId: p.name, pool: p.pool ?? '', draining: false, drainRequested: false, lines: [], updatedAt: '', heartbeat: false, pod: p });
    }
    // A drain asked for a pod that publishes nothing (stuck, starting) shows too.
    const flags = nodes.length ? await ctx.redis.mget(nodes.map((n) => lineStatusKeys.drain(prefix, n.nodeId))) : [];
    nodes.forEach((n, i) => (n.drainRequested = flags[i] !== null));
    // down: device lines (modems) that do not work, each with its reason in `nodes`.
    const pools: Record<string, { nodes: number; lines: number; calling: number; down: number }> = {};
    for (const n of nodes) {
      const s = (pools[n.pool] ??= { nodes: 0, lines: 0, calling: 0, down: 0 });
      s.nodes++;
      // An incoming SIP call shows as a line of its own while it runs; it is not one of the pool's lines.
      s.lines += n.lines.filter((l) => l.sip?.direction !== 'incoming').length;
      s.calling += n.lines.filter((l) => l.state === 'calling').length;
      s.down += n.lines.filter((l) => l.state === 'down').length;
    }
    return { nodes, pools };
  });

  const drain = (on: boolean) => async (req: { params: { id: string } }, reply: import('fastify').FastifyReply) => {
    const id = req.params.id;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(id)) return reply.code(400).send({ error: `"${id}" is not a node id` });
    const known = (await readLineStatus(ctx.redis, prefix)).some((n) => n.nodeId === id) || Boolean(discovery?.get(id));
    if (!known && on) return reply.code(404).send({ error: `no node ${id} (no line status heartbeat${discovery ? ' and no such node pod' : ''})` });
    await setNodeDrain(ctx.redis, prefix, id, on);
    ctx.log.info({ node: id, drain: on }, on ? 'node drain requested' : 'node drain lifted');
    return reply.code(202).send({ nodeId: id, drainRequested: on });
  };
  app.post<{ Params: { id: string } }>('/api/v1/nodes/:id/drain', drain(true));
  app.delete<{ Params: { id: string } }>('/api/v1/nodes/:id/drain', drain(false));
}
