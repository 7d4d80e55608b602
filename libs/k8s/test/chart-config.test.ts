import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseSchema, collectConfigs, loadConfig } from '@faxgate/config';
import { resolveRoles } from '../../../services/cli/src/roles.ts';
import { CHART, renderChart, workloads, type Manifest } from './chart-render.ts';

interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string; optional?: boolean } } }

/**
 * The environment a container gets, resolved the way the kubelet does: fieldRefs from the pod,
 * secretKeyRefs from the Secrets given (a missing key of a non-optional ref stops the pod),
 * and `$(NAME)` expanded from variables defined earlier in the list.
 */
function containerEnv(env: EnvVar[], pod: { name: string; namespace: string }, secrets: Map<string, Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    let v: string | undefined;
    if (e.value !== undefined) v = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => out[n] ?? m);
    else if (e.valueFrom?.fieldRef) v = e.valueFrom.fieldRef.fieldPath === 'metadata.name' ? pod.name : e.valueFrom.fieldRef.fieldPath === 'metadata.namespace' ? pod.namespace : undefined;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      v = secrets.get(ref.name)?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`${e.name}: secret ${ref.name} has no key ${ref.key} and the ref is not optional (the pod would not start)`);
    }
    if (v !== undefined) out[e.name] = v;
  }
  return out;
}

function secretsOf(ms: Manifest[], existing?: Record<string, Record<string, string>>): Map<string, Record<string, string>> {
  const map = new Map<string, Record<string, string>>(Object.entries(existing ?? {}));
  for (const s of ms.filter((m) => m.kind === 'Secret')) map.set(s.metadata.name, Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])));
  return map;
}

/** Loads the configuration of every role each workload runs from the environment the chart gives it. */
async function checkWorkloads(ms: Manifest[], secrets: Map<string, Record<string, string>>): Promise<string[]> {
  const checked: string[] = [];
  for (const w of workloads(ms)) {
    const c = w.spec.template.spec.containers[0];
    if (c.args?.[0] !== 'run') continue; // Redis
    const env = containerEnv(c.env, { name: `${w.metadata.name}-0`, namespace: 'fax' }, secrets);
    const defs = await resolveRoles(c.args.slice(1));
    // The same validation `faxgate run` does at start: every bad variable named at once.
    collectConfigs<unknown>([() => loadConfig('base', baseSchema, env), ...defs.map((d) => () => loadConfig(d.name, d.schema, env))]);
    const base = loadConfig('base', baseSchema, env);
    assert.equal(base.FAXGATE_HTTP_PORT, 8080);
    assert.equal(base.FAXGATE_NODE_ID, `${w.metadata.name}-0`, 'the node id is the pod name');
    assert.ok(base.FAXGATE_SHUTDOWN_TIMEOUT < w.spec.template.spec.terminationGracePeriodSeconds * 1000, 'the shutdown deadline ends before Kubernetes kills the pod');
    assert.doesNotMatch(base.FAXGATE_REDIS_URL, /\$\(/, 'every $(VAR) in the Redis URL was defined before it');
    checked.push(`${w.metadata.name}: ${defs.map((d) => d.name).join(',')}`);
  }
  return checked;
}

test('every workload of the chart starts with a configuration its roles accept (default and ci values)', async () => {
  const all: string[] = [];
  for (const file of [undefined, 'all-in-one-values.yaml', 'keda-scaled-values.yaml', 'modem-daemonset-values.yaml']) {
    const ms = renderChart(file ? [join(CHART, 'ci', file)] : []);
    all.push(...await checkWorkloads(ms, secretsOf(ms)));
  }
  // An existing Secret carries the external Redis URL.
  const ext = renderChart([join(CHART, 'ci/external-redis-values.yaml')]);
  all.push(...await checkWorkloads(ext, secretsOf(ext, { 'faxgate-credentials': { 'redis-url': 'redis://:pw@redis.data.svc:6379', 'console-password': 'x' } })));
  // The all-in-one workload runs every role, each once.
  const allInOne = all.find((a) => a.startsWith('fg-faxgate-all: '));
  assert.deepEqual(allInOne?.slice('fg-faxgate-all: '.length).split(',').sort(), ['console', 'dispatch', 'inbound', 'ingest', 'node', 'notifier', 'render'], all.join('\n'));
  assert.ok(all.some((a) => a === 'fg-faxgate-node-modems: node'));
  assert.ok(all.some((a) => a === 'fg-faxgate-render: render'));
});

test('the check can fail: a value a role refuses, or a Secret key the pod cannot get', async () => {
  const ms = renderChart([], ['config.env.FAXGATE_JOB_BACKOFF=soon']);
  await assert.rejects(checkWorkloads(ms, secretsOf(ms)), /FAXGATE_JOB_BACKOFF/);
  const ext = renderChart([join(CHART, 'ci/external-redis-values.yaml')]);
  await assert.rejects(checkWorkloads(ext, secretsOf(ext, { 'faxgate-credentials': {} })), /no key redis-url/);
  const badPool = renderChart([], ['dispatch.env.FAXGATE_DISPATCH_POOL=Modems_1']);
  await assert.rejects(checkWorkloads(badPool, secretsOf(badPool)), /FAXGATE_DISPATCH_POOL/);
});
