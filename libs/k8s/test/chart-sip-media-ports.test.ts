// A sip pool's media port range (FAXGATE_SIP_MEDIA_PORTS) in the chart: the node binds its calls'
// RTP and UDPTL there, so the chart must give the node that range and open the same one in the
// pool's NetworkPolicy (on by default, and it would otherwise let in only /metrics). Kubernetes
// has no port ranges in pods or Services; NetworkPolicy's endPort is the one place a range fits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '@faxgate/config';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { nodeSchema } from '../../../services/node/src/config.ts';
import { parsePortRange } from '../../../services/node/src/sip-media-ports.ts';
import { CHART, find, helm, renderChart, unknownFieldErrors, validateManifest, type Manifest } from './chart-render.ts';

let dir: TempDir;
before(async () => {
  dir = await tempDir('faxgate-chart-media');
});
after(async () => {
  await dir.remove();
});

const base = { name: 'trunk', kind: 'statefulset', replicas: 2, lines: 8, driver: 'sip', ports: [{ name: 'sip', containerPort: 5060, protocol: 'UDP' }] };

/** The chart rendered with one sip pool (and a sim pool beside it), overrides merged into the pool. */
function render(pool: Record<string, unknown>, extra: Record<string, unknown> = {}): Manifest[] {
  const file = join(dir.path, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ config: { stationId: '+1 212 555 0100' }, node: { pools: [{ ...base, ...pool }, { name: 'sim', kind: 'statefulset', lines: 2, driver: 'sim' }] }, ...extra }));
  return renderChart([file]);
}

type EnvVar = { name: string; value?: string };
const envOf = (ms: Manifest[], pool: string): Record<string, string> =>
  Object.fromEntries((find(ms, 'StatefulSet', `fg-faxgate-node-${pool}`).spec.template.spec.containers[0].env as EnvVar[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
type Rule = { ports: Array<{ port: number; endPort?: number; protocol: string }> };
const ingressPorts = (ms: Manifest[], pool: string) => (find(ms, 'NetworkPolicy', `fg-faxgate-node-${pool}`).spec.ingress as Rule[]).flatMap((r) => r.ports);

test('a sip pool by default: the node gets FAXGATE_SIP_MEDIA_PORTS=10000-11999 and its NetworkPolicy opens exactly that UDP range beside the SIP port; valid Kubernetes', async () => {
  const ms = render({});
  const env = envOf(ms, 'trunk');
  assert.equal(env.FAXGATE_SIP_MEDIA_PORTS, '10000-11999');
  // The node reads the range the chart opened (its own config schema and parser).
  const cfg = loadConfig('node', nodeSchema, env);
  assert.deepEqual(parsePortRange(cfg.FAXGATE_SIP_MEDIA_PORTS), { first: 10_000, last: 11_999 });
  assert.deepEqual(ingressPorts(ms, 'trunk'), [{ port: 5060, protocol: 'UDP' }, { port: 10_000, endPort: 11_999, protocol: 'UDP' }]);
  assert.equal(find(ms, 'StatefulSet', 'fg-faxgate-node-trunk').spec.template.metadata.annotations['faxgate.io/sip-media-ports'], '10000-11999');
  // Not for other drivers: the sim pool gets neither the variable nor a policy of its own.
  assert.equal(envOf(ms, 'sim').FAXGATE_SIP_MEDIA_PORTS, undefined);
  assert.ok(!ms.some((m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'fg-faxgate-node-sim'));
  for (const m of ms.filter((x) => ['NetworkPolicy', 'StatefulSet'].includes(x.kind))) await validateManifest(m);
  assert.deepEqual(unknownFieldErrors(ms.filter((x) => x.kind === 'NetworkPolicy')), [], 'endPort is a field of NetworkPolicyPort');
});

test('a pool\'s mediaPorts (or its env\'s FAXGATE_SIP_MEDIA_PORTS) moves both the node\'s range and the policy\'s; hostNetwork pools too; `any` opens no range', () => {
  for (const pool of [{ mediaPorts: '20000-20399' }, { env: { FAXGATE_SIP_MEDIA_PORTS: '20000-20399' } }, { mediaPorts: '20000-20399', env: { FAXGATE_SIP_MEDIA_PORTS: '20000-20399' } }, { mediaPorts: '20000-20399', hostNetwork: true }]) {
    const ms = render(pool);
    assert.equal(envOf(ms, 'trunk').FAXGATE_SIP_MEDIA_PORTS, '20000-20399', JSON.stringify(pool));
    assert.deepEqual(ingressPorts(ms, 'trunk').at(-1), { port: 20_000, endPort: 20_399, protocol: 'UDP' }, JSON.stringify(pool));
  }
  assert.equal(find(render({ mediaPorts: '20000-20399', hostNetwork: true }), 'StatefulSet', 'fg-faxgate-node-trunk').spec.template.spec.hostNetwork, true);
  const any = render({ mediaPorts: 'any' });
  assert.equal(envOf(any, 'trunk').FAXGATE_SIP_MEDIA_PORTS, 'any');
  assert.deepEqual(ingressPorts(any, 'trunk'), [{ port: 5060, protocol: 'UDP' }]);
  // Without NetworkPolicies nothing is opened, and the node still gets its range.
  const open = render({}, { networkPolicy: { enabled: false } });
  assert.ok(!open.some((m) => m.kind === 'NetworkPolicy'));
  assert.equal(envOf(open, 'trunk').FAXGATE_SIP_MEDIA_PORTS, '10000-11999');
});

test('a media range the node could not use is refused at render time, with the pool named', () => {
  assert.throws(() => render({ mediaPorts: '20000-20399', env: { FAXGATE_SIP_MEDIA_PORTS: '30000-30399' } }), /node pool trunk: mediaPorts 20000-20399 and env FAXGATE_SIP_MEDIA_PORTS 30000-30399 differ/);
  assert.throws(() => render({ mediaPorts: '20000' }), /mediaPorts/);
  assert.throws(() => render({ env: { FAXGATE_SIP_MEDIA_PORTS: '20000:20399' } }), /node pool trunk: the SIP media port range is first-last/);
  assert.throws(() => render({ mediaPorts: '20000-20002' }), /at least 4 ports/);
  assert.throws(() => render({ mediaPorts: '500-999' }), /within 1024-65535/);
});

test('NOTES.txt names each sip pool\'s media range and what opens it', () => {
  const notes = (pool: Record<string, unknown>) => {
    const file = join(dir.path, `notes-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ config: { stationId: '+1 212 555 0100' }, node: { pools: [{ ...base, ...pool }] } }));
    const out = helm(['install', 'fg', CHART, '--namespace', 'fax', '--dry-run=client', '-f', file]);
    return out.slice(out.indexOf('NOTES:'));
  };
  assert.match(notes({}), /SIP pool trunk: calls' media \(RTP, UDPTL\) on UDP 10000-11999 of each node pod, opened by its NetworkPolicy\./);
  assert.match(notes({ hostNetwork: true, mediaPorts: '20000-20399' }), /SIP pool trunk: calls' media \(RTP, UDPTL\) on UDP 20000-20399 of each node pod \(hostNetwork: the host's own ports;\n\s+open them and the SIP port on the host firewall, and run one node pod of the pool per host\)\./);
});
