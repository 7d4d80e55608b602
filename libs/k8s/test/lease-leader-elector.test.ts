import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { assertNothingFor, waitUntil } from '@faxgate/testkit';
import { LeaseLeaderElector, createLeaderElector, kubeConfigFor, type LeaderElector } from '../src/index.ts';
import { FakeKubeApi } from './fake-kube-api.ts';

const NS = 'fax';

function elector(api: FakeKubeApi, identity: string, timing: { leaseDurationMs: number; renewIntervalMs: number; retryIntervalMs: number }) {
  // Each candidate has its own token so the fake server can cut one off.
  const kc = kubeConfigFor(api.url, `token-${identity}`);
  return new LeaseLeaderElector({ api: kc.makeApiClient(CoordinationV1Api), namespace: NS, name: 'faxgate-poller', identity, timing });
}

/** Records leadership changes with times, to check that two holders never overlap. */
function history(electors: LeaderElector[]) {
  const log: Array<{ who: string; leader: boolean; at: number }> = [];
  for (const e of electors) e.onChange((leader) => log.push({ who: e.identity, leader, at: Date.now() }));
  return {
    log,
    maxConcurrentLeaders() {
      let cur = 0;
      let max = 0;
      for (const ev of log) {
        cur += ev.leader ? 1 : -1;
        max = Math.max(max, cur);
      }
      return max;
    },
  };
}

test('the first candidate creates the lease and holds it; the second waits', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const timing = { leaseDurationMs: 30_000, renewIntervalMs: 200, retryIntervalMs: 100 };
  const a = elector(api, 'node-a', timing);
  const b = elector(api, 'node-b', timing);
  await a.start();
  await b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.equal(a.isLeader, true);
  assert.equal(b.isLeader, false);
  const lease = { spec: api.leaseSpec(NS, 'faxgate-poller')! };
  assert.equal(lease.spec.holderIdentity, 'node-a');
  assert.equal(lease.spec.leaseDurationSeconds, 30);
  // The renew time travels as a MicroTime and is renewed while a holds the role.
  const first = lease.spec.renewTime;
  await waitUntil('a renewal', () => api.leaseSpec(NS, 'faxgate-poller')!.renewTime !== first, 5000);
  assert.equal(b.isLeader, false);
});

test('two candidates racing to create the lease: exactly one wins (409 AlreadyExists for the other)', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const timing = { leaseDurationMs: 30_000, renewIntervalMs: 1000, retryIntervalMs: 1000 };
  const cands = ['n1', 'n2', 'n3'].map((n) => elector(api, n, timing));
  await Promise.all(cands.map((c) => c.start()));
  t.after(() => Promise.all(cands.map((c) => c.stop())));
  assert.equal(cands.filter((c) => c.isLeader).length, 1);
  assert.ok(api.counts.conflicts >= 1, 'the losers saw a conflict');
  assert.equal(api.leaseSpec(NS, 'faxgate-poller')!.holderIdentity, cands.find((c) => c.isLeader)!.identity);
});

test('a renew based on a stale resourceVersion gets 409 and the holder does not pretend to have renewed', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const a = elector(api, 'node-a', { leaseDurationMs: 30_000, renewIntervalMs: 100, retryIntervalMs: 100 });
  await a.start();
  t.after(() => a.stop());
  assert.equal(a.isLeader, true);
  // Between a's read and its write, another writer takes the lease (an admin, or a candidate
  // that judged it expired): a's replace carries the old resourceVersion.
  api.beforeLeaseReplace = () => {
    api.beforeLeaseReplace = undefined;
    api.writeLease(NS, 'faxgate-poller', { holderIdentity: 'intruder', renewTime: new Date().toISOString() });
  };
  await waitUntil('a to lose the lease', () => !a.isLeader, 5000);
  assert.ok(api.counts.conflicts >= 1);
  assert.equal(api.leaseSpec(NS, 'faxgate-poller')!.holderIdentity, 'intruder');
});

test('a holder that stops renewing loses the lease after its duration and another takes over', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const timing = { leaseDurationMs: 3000, renewIntervalMs: 500, retryIntervalMs: 100 };
  const a = elector(api, 'node-a', timing);
  const b = elector(api, 'node-b', timing);
  const h = history([a, b]);
  await a.start();
  await b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.equal(a.isLeader, true);
  const cutAt = Date.now();
  api.refusedTokens.add('token-node-a'); // a is partitioned from the API server
  await waitUntil('b to take over', () => b.isLeader, 15_000);
  const tookOverAfter = Date.now() - cutAt;
  assert.equal(a.isLeader, false, 'a stepped down because it could not renew');
  assert.ok(tookOverAfter >= 2500, `b waited for the lease to expire (took over after ${tookOverAfter} ms)`);
  assert.equal(h.maxConcurrentLeaders(), 1, `never two leaders at once: ${JSON.stringify(h.log)}`);
  const spec = api.leaseSpec(NS, 'faxgate-poller')!;
  assert.equal(spec.holderIdentity, 'node-b');
  assert.equal(spec.leaseTransitions, 1);
  // a comes back: it finds b renewing and stays a follower.
  api.refusedTokens.delete('token-node-a');
  // 800 ms are eight of a's retry intervals and one lease renewal of b's: a must lose them all.
  await assertNothingFor('a taking the lease back, or b losing it, while b renews', () => (a.isLeader || !b.isLeader) && { a: a.isLeader, b: b.isLeader }, 800);
  assert.equal(api.leaseSpec(NS, 'faxgate-poller')!.holderIdentity, 'node-b');
});

test('stop() releases the lease so a successor takes over without waiting for expiry', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const timing = { leaseDurationMs: 60_000, renewIntervalMs: 200, retryIntervalMs: 100 };
  const a = elector(api, 'node-a', timing);
  const b = elector(api, 'node-b', timing);
  const changes: boolean[] = [];
  a.onChange((l) => changes.push(l));
  await a.start();
  await b.start();
  t.after(() => b.stop());
  const stoppedAt = Date.now();
  await a.stop();
  assert.deepEqual(changes, [true, false]);
  assert.equal(api.leaseSpec(NS, 'faxgate-poller')!.holderIdentity, '');
  await waitUntil('b to take over', () => b.isLeader, 10_000);
  // The lease lasts 60 s; b, retrying every 100 ms, takes the released lease in a few retries.
  // 5 s leaves room for a loaded machine and is still far below the 60 s an expiry would take.
  const tookOverAfter = Date.now() - stoppedAt;
  assert.ok(tookOverAfter < 5_000, `b took the released lease after ${tookOverAfter} ms`);
  const spec = api.leaseSpec(NS, 'faxgate-poller')!;
  assert.equal(spec.holderIdentity, 'node-b');
  // Taking a released (holderless) lease is not counted as a transition from another holder.
  assert.equal(spec.leaseTransitions, 0);
});

test('createLeaderElector picks the Lease in a cluster and the Redis lock outside', async (t) => {
  const api = new FakeKubeApi();
  await api.start();
  t.after(() => api.close());
  const redis = {} as never;
  const outside = createLeaderElector({ name: 'poller', identity: 'x', redis, redisPrefix: 'fg', env: {} });
  assert.equal(outside.kind, 'redis');
  const inside = createLeaderElector({ name: 'poller', identity: 'x', redis, redisPrefix: 'fg', env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, kubeConfig: kubeConfigFor(api.url), namespace: NS, timing: { leaseDurationMs: 30_000 } });
  assert.equal(inside.kind, 'lease');
  await inside.start();
  t.after(() => inside.stop());
  assert.equal(inside.isLeader, true);
  assert.equal(api.leaseSpec(NS, 'faxgate-poller')!.holderIdentity, 'x');
});
