import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from '@faxgate/testkit';
import { PodDiscovery, kubeConfigFor } from '../src/index.ts';
import { FakeKubeApi } from './fake-kube-api.ts';

const NS = 'fax';
const NODE = { 'app.kubernetes.io/name': 'faxgate', 'app.kubernetes.io/component': 'node' };

test('node pods are found by label, and changes arrive through the watch', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  api.putPod(NS, 'faxgate-node-sip-0', { ...NODE, 'faxgate.io/pool': 'sip' }, { podIP: '10.1.0.5' });
  api.putPod(NS, 'faxgate-render-abc', { 'app.kubernetes.io/name': 'faxgate', 'app.kubernetes.io/component': 'render' });
  api.putPod('other', 'faxgate-node-elsewhere', NODE);
  const d = new PodDiscovery({ kubeConfig: kubeConfigFor(api.url), namespace: NS, labelSelector: 'app.kubernetes.io/name=faxgate,app.kubernetes.io/component=node', retryMs: 50 });
  await d.start();
  t.after(() => d.stop());
  assert.deepEqual(d.pods().map((p) => [p.name, p.pool, p.ready, p.podIP]), [['faxgate-node-sip-0', 'sip', true, '10.1.0.5']]);

  await waitUntil('the watch to open', () => api.openWatches === 1, 5000);
  api.putPod(NS, 'faxgate-node-sip-1', { ...NODE, 'faxgate.io/pool': 'sip' });
  await waitUntil('the new pod', () => d.get('faxgate-node-sip-1'), 5000);
  api.putPod(NS, 'faxgate-node-sip-0', { ...NODE, 'faxgate.io/pool': 'sip' }, { ready: false, terminating: true });
  await waitUntil('the pod to turn unready', () => d.get('faxgate-node-sip-0')?.ready === false, 5000);
  assert.equal(d.get('faxgate-node-sip-0')?.terminating, true);
  api.deletePod(NS, 'faxgate-node-sip-0');
  await waitUntil('the pod to go', () => !d.get('faxgate-node-sip-0'), 5000);
  assert.deepEqual(d.pods().map((p) => p.name), ['faxgate-node-sip-1']);
  assert.equal(api.counts.lists, 1, 'all of that came through one list and the watch');
});

test('a watch closed by the server resumes from the last version; a 410 Gone relists', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  api.putPod(NS, 'n-0', NODE);
  const d = new PodDiscovery({ kubeConfig: kubeConfigFor(api.url), namespace: NS, labelSelector: 'app.kubernetes.io/component=node', retryMs: 50 });
  await d.start();
  t.after(() => d.stop());
  await waitUntil('the watch to open', () => api.openWatches === 1, 5000);

  // The server ends the watch (its timeout); a pod added meanwhile is replayed from history.
  api.closeWatches();
  api.putPod(NS, 'n-1', NODE);
  await waitUntil('n-1 through the resumed watch', () => d.get('n-1'), 5000);
  assert.equal(api.counts.lists, 1);
  assert.ok(api.counts.watches >= 2);

  // History compacted while the watch was down: the resumed watch gets 410, the discovery lists
  // again and finds the pod added and the one deleted in the gap.
  await waitUntil('the watch to reopen', () => api.openWatches === 1, 5000);
  api.closeWatches();
  api.putPod(NS, 'n-2', NODE);
  api.deletePod(NS, 'n-0');
  api.compact();
  await waitUntil('the relist', () => api.counts.lists === 2 && d.get('n-2') && !d.get('n-0'), 5000);
  assert.ok(api.counts.gone >= 1, 'the server answered 410 Gone');
  assert.deepEqual(d.pods().map((p) => p.name), ['n-1', 'n-2']);
  assert.equal(d.lists, 2);
});

test('a quiet namespace: the server ends each watch after timeoutSeconds and discovery resumes it without listing again', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  api.putPod(NS, 'n-0', NODE);
  const d = new PodDiscovery({ kubeConfig: kubeConfigFor(api.url), namespace: NS, labelSelector: 'app.kubernetes.io/component=node', retryMs: 50, watchTimeoutSeconds: 1 });
  await d.start();
  t.after(() => d.stop());
  await waitUntil('three watches', () => d.watches >= 3, 10_000);
  assert.equal(d.lists, 1, 'a watch that ended on time is resumed, not relisted');
  api.putPod(NS, 'n-1', NODE);
  await waitUntil('n-1', () => d.get('n-1'), 5000);
  assert.deepEqual(d.pods().map((p) => p.name), ['n-0', 'n-1']);
});

test('an API server that refuses at first: discovery keeps retrying with backoff and fills in once it answers', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  api.putPod(NS, 'n-0', NODE);
  api.refusedTokens.add('faxgate');
  const d = new PodDiscovery({ kubeConfig: kubeConfigFor(api.url), namespace: NS, labelSelector: 'app.kubernetes.io/component=node', retryMs: 50 });
  await d.start();
  t.after(() => d.stop());
  assert.deepEqual(d.pods(), []);
  await waitUntil('discovery to try again after refusals', () => api.counts.refused >= 3, 10_000, 10);
  assert.equal(d.lists, 0);
  assert.deepEqual(d.pods(), []);
  api.refusedTokens.delete('faxgate');
  await waitUntil('the pods once the server answers', () => d.get('n-0'), 10_000);
  assert.equal(d.lists, 1);
});
