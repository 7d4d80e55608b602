import { test } from 'node:test';
import assert from 'node:assert/strict';
import { find, renderChart, type Manifest } from './chart-render.ts';

// Closed by default (issue 17, part E): the SMTP Service stays inside the cluster unless the
// operator publishes it, and a published port 25 needs source ranges or SMTP AUTH.

function ingestContainer(ms: Manifest[], name = 'fg-faxgate-ingest') {
  const d = find(ms, 'Deployment', name);
  const c = d.spec.template.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
  return { pod: d.spec.template.spec, c, env };
}

const REFUSED = /publishes SMTP outside the cluster, where anyone could make the gateway dial at your expense: set ingest\.service\.loadBalancerSourceRanges .* or enable ingest\.smtpAuth/;

test('by default the SMTP Service is ClusterIP and the ingest pods trust only the cluster\'s private networks', () => {
  const ms = renderChart();
  assert.equal(find(ms, 'Service', 'fg-faxgate-smtp').spec.type, 'ClusterIP');
  const { env, pod } = ingestContainer(ms);
  assert.equal(env.FAXGATE_SMTP_CLIENT_NETWORKS, '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7');
  assert.equal(env.FAXGATE_SMTP_HOST, '0.0.0.0', 'pods receive from other pods');
  assert.equal(env.FAXGATE_SMTP_USERS_FILE, undefined);
  assert.ok(!pod.volumes.some((v: { name: string }) => v.name === 'smtp-users'));
  // Only the SMTP front door gets them.
  const render = find(ms, 'Deployment', 'fg-faxgate-render').spec.template.spec.containers[0];
  assert.ok(!render.env.some((e: { name: string }) => e.name === 'FAXGATE_SMTP_CLIENT_NETWORKS'));
  // The operator narrows the networks (or opens them) with one value.
  assert.equal(ingestContainer(renderChart([], ['ingest.clientNetworks=10.8.0.0/14'])).env.FAXGATE_SMTP_CLIENT_NETWORKS, '10.8.0.0/14');
});

test('the chart refuses to publish SMTP without source ranges or SMTP AUTH, saying what to set', () => {
  assert.throws(() => renderChart([], ['ingest.service.type=LoadBalancer']), REFUSED);
  assert.throws(() => renderChart([], ['ingest.service.type=NodePort']), REFUSED);
  // A NodePort has no source ranges: the list does not make it safe.
  assert.throws(() => renderChart([], ['ingest.service.type=NodePort', 'ingest.service.loadBalancerSourceRanges={203.0.113.0/24}']), REFUSED);
  // Behind externalTrafficPolicy Cluster every client looks like a node, inside clientNetworks.
  assert.throws(() => renderChart([], ['ingest.service.type=LoadBalancer', 'ingest.smtpAuth.enabled=true', 'ingest.service.externalTrafficPolicy=Cluster']), /externalTrafficPolicy=Cluster hides the client's address.*smtpAuth\.required=true/);
  assert.throws(() => renderChart([], ['mode=all-in-one', 'ingest.service.type=LoadBalancer']), REFUSED);
  assert.throws(() => renderChart([], ['ingest.clientNetworks=everyone']), /clientNetworks/);
});

test('published SMTP renders with source ranges, or with SMTP AUTH and the users file mounted from the Secret', () => {
  const ranged = renderChart([], ['ingest.service.type=LoadBalancer', 'ingest.service.loadBalancerSourceRanges={203.0.113.0/24}']);
  const svc = find(ranged, 'Service', 'fg-faxgate-smtp');
  assert.equal(svc.spec.type, 'LoadBalancer');
  assert.deepEqual(svc.spec.loadBalancerSourceRanges, ['203.0.113.0/24']);
  assert.equal(svc.spec.externalTrafficPolicy, 'Local');

  const authed = renderChart([], ['ingest.service.type=NodePort', 'ingest.smtpAuth.enabled=true', 'ingest.smtpAuth.required=true', 'secrets.smtpUsers=clinic:pw']);
  assert.equal(find(authed, 'Service', 'fg-faxgate-smtp').spec.type, 'NodePort');
  const { env, c, pod } = ingestContainer(authed);
  assert.equal(env.FAXGATE_SMTP_USERS_FILE, '/etc/faxgate/smtp/users');
  assert.equal(env.FAXGATE_SMTP_REQUIRE_AUTH, 'true');
  assert.ok(c.volumeMounts.some((m: { name: string; mountPath: string }) => m.name === 'smtp-users' && m.mountPath === '/etc/faxgate/smtp'));
  const vol = pod.volumes.find((v: { name: string }) => v.name === 'smtp-users');
  assert.deepEqual(vol.secret, { secretName: 'fg-faxgate-secrets', items: [{ key: 'smtp-users', path: 'users' }] });
  assert.equal(Buffer.from(find(authed, 'Secret', 'fg-faxgate-secrets').data!['smtp-users'], 'base64').toString(), 'clinic:pw');
  // Cluster traffic policy is fine once every sender must authenticate.
  assert.doesNotThrow(() => renderChart([], ['ingest.service.type=LoadBalancer', 'ingest.smtpAuth.enabled=true', 'ingest.smtpAuth.required=true', 'ingest.service.externalTrafficPolicy=Cluster']));
  // The all-in-one pod is the SMTP front door too.
  const aio = renderChart([], ['mode=all-in-one', 'ingest.service.type=LoadBalancer', 'ingest.smtpAuth.enabled=true']);
  const all = ingestContainer(aio, 'fg-faxgate-all');
  assert.equal(all.env.FAXGATE_SMTP_USERS_FILE, '/etc/faxgate/smtp/users');
  assert.equal(all.env.FAXGATE_SMTP_CLIENT_NETWORKS, '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7');
});
