import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { runRoles, type RoleContext } from '@faxgate/runtime';
import { startRedis, tempDir, waitUntil } from '@faxgate/testkit';
import { PodDiscovery, kubeConfigFor, lineStatusKeys } from '@faxgate/k8s';
import { nodeRole } from '@faxgate/node';
import { registerLineStatusRoutes, NODE_POD_SELECTOR } from '../src/line-status-routes.ts';
import { FakeKubeApi } from '../../../libs/k8s/test/fake-kube-api.ts';

const NODE_LABELS = { 'app.kubernetes.io/name': 'faxgate', 'app.kubernetes.io/component': 'node', 'faxgate.io/pool': 'sip' };

test('in Kubernetes the line status joins node pods found by label: a pod without heartbeat still shows, and can be drained', async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('faxgate-lines-k8s');
  const api = new FakeKubeApi();
  await api.start();
  const prefix = `test-${randomUUID()}`;
  const client = new Redis(redis.url);
  // A node daemon named like its pod, publishing its lines.
  const node = await runRoles([nodeRole], {
    env: { FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: prefix, FAXGATE_DATA_DIR: dir.path, FAXGATE_HTTP_HOST: '127.0.0.1', FAXGATE_HTTP_PORT: '0', FAXGATE_LOG_LEVEL: 'silent', FAXGATE_NODE_ID: 'faxgate-node-sip-0', FAXGATE_NODE_POOL: 'sip', FAXGATE_NODE_LINES: '2' },
  });
  api.putPod('fax', 'faxgate-node-sip-0', NODE_LABELS, { podIP: '10.2.0.10' });
  api.putPod('fax', 'faxgate-node-sip-1', NODE_LABELS, { podIP: '10.2.0.11', ready: false });
  api.putPod('fax', 'faxgate-render-x', { 'app.kubernetes.io/name': 'faxgate', 'app.kubernetes.io/component': 'render' });
  const discovery = new PodDiscovery({ kubeConfig: kubeConfigFor(api.url), namespace: 'fax', labelSelector: NODE_POD_SELECTOR, retryMs: 50 });
  await discovery.start();
  const app = Fastify();
  const ctx = { base: { FAXGATE_QUEUE_PREFIX: prefix }, redis: client, log: pino({ level: 'silent' }) } as unknown as RoleContext;
  registerLineStatusRoutes(app, ctx, { discovery });
  await app.ready();
  t.after(async () => {
    await app.close();
    await discovery.stop();
    await node.stop();
    client.disconnect();
    await api.close();
    await redis.dispose();
    await dir.remove();
  });

  const body = await waitUntil('the node heartbeat', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/lines' });
    const b = r.json();
    return b.nodes.some((n: { heartbeat: boolean }) => n.heartbeat) ? b : undefined;
  }, 10_000);
  const byId = Object.fromEntries(body.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
  assert.deepEqual(Object.keys(byId).sort(), ['faxgate-node-sip-0', 'faxgate-node-sip-1']);
  assert.equal(byId['faxgate-node-sip-0'].heartbeat, true);
  assert.equal(byId['faxgate-node-sip-0'].pod.podIP, '10.2.0.10');
  assert.equal(byId['faxgate-node-sip-0'].lines.length, 2);
  assert.equal(byId['faxgate-node-sip-1'].heartbeat, false, 'a pod that publishes nothing still shows');
  assert.equal(byId['faxgate-node-sip-1'].pod.ready, false);
  assert.equal(byId['faxgate-node-sip-1'].pool, 'sip');
  assert.deepEqual(body.pools.sip, { nodes: 2, lines: 2, calling: 0, down: 0 });

  // Known only as a pod: it can still be drained (the flag waits for it); an unknown id cannot.
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/nodes/faxgate-node-sip-1/drain' })).statusCode, 202);
  assert.equal(await client.exists(lineStatusKeys.drain(prefix, 'faxgate-node-sip-1')), 1);
  const after = (await app.inject({ method: 'GET', url: '/api/v1/lines' })).json();
  assert.deepEqual(after.nodes.map((n: { nodeId: string; drainRequested: boolean }) => [n.nodeId, n.drainRequested]), [['faxgate-node-sip-0', false], ['faxgate-node-sip-1', true]]);
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/nodes/faxgate-node-sip-9/drain' })).statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/nodes/bad%20id/drain' })).statusCode, 400);

  // The pod goes away: the watch removes it from the view.
  api.deletePod('fax', 'faxgate-node-sip-1');
  await waitUntil('the pod to leave', async () => !(await app.inject({ method: 'GET', url: '/api/v1/lines' })).json().nodes.some((n: { nodeId: string }) => n.nodeId === 'faxgate-node-sip-1'), 5000);
});
