import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHART, find, helm, renderChart, unknownFieldErrors, validateManifest, workloads, type Manifest } from './chart-render.ts';

const CI = join(CHART, 'ci');
const VALUES = readdirSync(CI).filter((f) => f.endsWith('-values.yaml')).map((f) => join(CI, f));
const CONFIG_DOC = readFileSync(resolve(CHART, '../../docs/configuration.md'), 'utf8');

/** Checks every faxgate workload of a render for the properties the chart promises. */
function checkFaxgatePods(ms: Manifest[]) {
  for (const w of workloads(ms)) {
    const pod = w.spec.template.spec;
    const c = pod.containers[0];
    if (w.metadata.labels?.['app.kubernetes.io/component'] === 'redis') {
      assert.equal(pod.securityContext.runAsNonRoot, true, `${w.metadata.name}: Redis runs as non-root`);
      continue;
    }
    assert.equal(pod.securityContext.runAsNonRoot, true, `${w.metadata.name}: non-root`);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${w.metadata.name}: read-only root`);
    assert.deepEqual(c.args.slice(0, 1), ['run']);
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.ports.find((p: { name: string }) => p.name === 'http').containerPort, 8080);
    const env = new Map<string, { value?: string }>(c.env.map((e: { name: string }) => [e.name, e]));
    assert.equal(env.get('FAXGATE_HTTP_PORT')?.value, '8080');
    assert.equal(env.get('FAXGATE_DATA_DIR')?.value, '/data');
    assert.ok(env.has('FAXGATE_REDIS_URL'));
    // Every FAXGATE_ variable the chart sets is one the roles read (documented in the generated table).
    for (const name of env.keys()) if (name.startsWith('FAXGATE_')) assert.ok(CONFIG_DOC.includes(`| \`${name}\` |`), `${w.metadata.name} sets ${name}, which no role reads (docs/configuration.md)`);
    const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    assert.ok(mounts.includes('/data') && mounts.includes('/tmp'), 'writable /data and /tmp are mounted');
    assert.ok(w.spec.template.spec.terminationGracePeriodSeconds >= 30, 'grace period above the shutdown deadline');
  }
}

test('helm lint --strict passes with the default values and every ci values file', () => {
  helm(['lint', '--strict', CHART]);
  for (const f of VALUES) helm(['lint', '--strict', CHART, '-f', f]);
  assert.ok(VALUES.length >= 4, `ci/ has the real-world values files (${VALUES.length})`);
});

test('every rendered manifest is valid against the Kubernetes OpenAPI schemas (default and ci values)', async () => {
  for (const files of [[], ...VALUES.map((f) => [f])]) {
    const ms = renderChart(files);
    assert.ok(ms.length > 10, `${files[0] ?? 'defaults'}: rendered ${ms.length} manifests`);
    for (const m of ms) await validateManifest(m);
    checkFaxgatePods(ms);
  }
});

test('no rendered manifest has a field its kind does not know (checked against the kubernetes-models types)', () => {
  const all = [[], ...VALUES.map((f) => [f])].flatMap((files) => renderChart(files));
  assert.deepEqual(unknownFieldErrors(all), []);
  // The check can fail: a misspelt field and a null where an object belongs are reported.
  const d = structuredClone(find(all, 'Deployment', 'fg-faxgate-ingest'));
  d.spec.template.spec.containers[0].imagePulPolicy = 'Always';
  const s = structuredClone(find(all, 'Service', 'fg-faxgate-smtp'));
  s.spec.externalTraficPolicy = 'Local';
  const errors = unknownFieldErrors([d, s]);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0], /^Deployment fg-faxgate-ingest: .*imagePulPolicy/);
  assert.match(errors[1], /^Service fg-faxgate-smtp: .*externalTraficPolicy/);
});

test('the schema validation can fail: a wrong type is refused', async () => {
  const ms = renderChart();
  const d = structuredClone(find(ms, 'Deployment', 'fg-faxgate-render'));
  d.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
  await assert.rejects(validateManifest(d), /containerPort must be integer/);
  const pdb = structuredClone(find(ms, 'PodDisruptionBudget', 'fg-faxgate-render'));
  pdb.spec.selector = 'all';
  await assert.rejects(validateManifest(pdb), /selector/);
});

test('defaults: a Deployment per role, node pool as StatefulSet, SMTP on 25 inside the cluster only, Redis with AOF and noeviction', () => {
  const ms = renderChart();
  for (const role of ['ingest', 'render', 'dispatch', 'notifier', 'inbound', 'console']) {
    const d = find(ms, 'Deployment', `fg-faxgate-${role}`);
    assert.deepEqual(d.spec.template.spec.containers[0].args, ['run', role]);
  }
  const node = find(ms, 'StatefulSet', 'fg-faxgate-node-sim');
  const env = Object.fromEntries(node.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
  assert.equal(env.FAXGATE_NODE_POOL, 'sim');
  assert.equal(env.FAXGATE_NODE_LINES, '4');
  assert.equal(env.FAXGATE_NODE_ID, '$(POD_NAME)', 'the node id is the pod name, so the console can match discovered pods');
  assert.equal(node.spec.template.metadata.labels['faxgate.io/pool'], 'sim');

  const smtp = find(ms, 'Service', 'fg-faxgate-smtp');
  // Closed by default (issue 17): port 25 is not published outside the cluster.
  assert.equal(smtp.spec.type, 'ClusterIP');
  assert.equal(smtp.spec.externalTrafficPolicy, undefined);
  assert.deepEqual(smtp.spec.ports, [{ name: 'smtp', port: 25, targetPort: 'smtp', protocol: 'TCP' }]);
  assert.equal(smtp.spec.selector['app.kubernetes.io/component'], 'ingest');

  const conf = find(ms, 'ConfigMap', 'fg-faxgate-redis').data!['redis.conf'];
  assert.match(conf, /^appendonly yes$/m);
  assert.match(conf, /^maxmemory-policy noeviction$/m);
  const ingest = find(ms, 'Deployment', 'fg-faxgate-ingest');
  const url = ingest.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FAXGATE_REDIS_URL');
  assert.equal(url.value, 'redis://fg-faxgate-redis:6379');

  const dir = find(ms, 'ConfigMap', 'fg-faxgate-directory').data!['directory.yaml'];
  assert.match(dir, /unaddressed: faxadmin@example.com/);
  const role = find(ms, 'Role', 'fg-faxgate');
  // Leases for the poller's leader election, pods for the console's line status: nothing more.
  assert.deepEqual(role.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  ]);
  const binding = find(ms, 'RoleBinding', 'fg-faxgate');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fg-faxgate' });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'fg-faxgate', namespace: 'fax' }]);
  assert.ok(find(ms, 'ServiceAccount', 'fg-faxgate'), 'the bound ServiceAccount is in the chart');
  // Redis is reachable only from faxgate's own pods.
  const np = find(ms, 'NetworkPolicy', 'fg-faxgate-redis');
  assert.equal(np.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/instance'], 'fg');
});

test('KEDA values: ScaledObjects on the BullMQ wait lists with the Redis password from the Secret', () => {
  const ms = renderChart([join(CI, 'keda-scaled-values.yaml')]);
  const expect = { render: 'faxgate:render:wait', dispatch: 'faxgate:dispatch:wait', notifier: 'faxgate:notify:wait' };
  for (const [role, list] of Object.entries(expect)) {
    const so = find(ms, 'ScaledObject', `fg-faxgate-${role}`);
    assert.equal(so.spec.scaleTargetRef.name, `fg-faxgate-${role}`);
    assert.equal(so.spec.triggers[0].type, 'redis');
    assert.equal(so.spec.triggers[0].metadata.listName, list);
    assert.equal(so.spec.triggers[0].metadata.address, 'fg-faxgate-redis.fax.svc:6379');
    assert.equal(so.spec.triggers[0].authenticationRef.name, 'fg-faxgate-redis');
    // KEDA owns the replica count: the Deployment must not fight it.
    assert.equal(find(ms, 'Deployment', `fg-faxgate-${role}`).spec.replicas, undefined);
  }
  assert.equal(find(ms, 'ScaledObject', 'fg-faxgate-render').spec.minReplicaCount, 0);
  const ta = find(ms, 'TriggerAuthentication', 'fg-faxgate-redis');
  assert.deepEqual(ta.spec.secretTargetRef, [{ parameter: 'password', name: 'fg-faxgate-secrets', key: 'redis-password' }]);
  const render = find(ms, 'Deployment', 'fg-faxgate-render').spec.template.spec.containers[0];
  assert.match(render.image, /:0\.1\.0-render$/, 'office rendering uses the LibreOffice image');
  assert.ok(render.env.some((e: { name: string; value?: string }) => e.name === 'FAXGATE_RENDER_OFFICE' && e.value === 'true'));
  const url = render.env.find((e: { name: string }) => e.name === 'FAXGATE_REDIS_URL');
  assert.equal(url.value, 'redis://:$(REDIS_PASSWORD)@fg-faxgate-redis:6379');
  const names = render.env.map((e: { name: string }) => e.name);
  assert.ok(names.indexOf('REDIS_PASSWORD') < names.indexOf('FAXGATE_REDIS_URL'), 'the password is defined before the URL that expands it');
  assert.equal(find(ms, 'ServiceMonitor', 'fg-faxgate').metadata.labels!.release, 'kube-prometheus-stack');
  const dash = JSON.parse(find(ms, 'ConfigMap', 'fg-faxgate-dashboard').data!['faxgate.json']);
  assert.ok(dash.panels.some((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).some((t) => t.expr.includes('faxgate_queue_jobs'))));
  const sip = find(ms, 'StatefulSet', 'fg-faxgate-node-sip');
  assert.equal(sip.spec.replicas, 3);
  assert.ok(sip.spec.template.spec.containers[0].ports.some((p: { containerPort: number; protocol: string }) => p.containerPort === 5060 && p.protocol === 'UDP'));
  assert.equal(find(ms, 'Service', 'fg-faxgate-node-sip').spec.clusterIP, 'None');
});

test('modem values: a DaemonSet on labelled nodes with the serial devices', () => {
  const ms = renderChart([join(CI, 'modem-daemonset-values.yaml')]);
  const consoleEnv = find(ms, 'Deployment', 'fg-faxgate-console').spec.template.spec.containers[0].env;
  assert.equal(consoleEnv.find((e: { name: string }) => e.name === 'FAXGATE_CONSOLE_POOLS').value, 'modems,sip', 'Bull Board shows every pool\'s call queue');
  const ds = find(ms, 'DaemonSet', 'fg-faxgate-node-modems');
  const pod = ds.spec.template.spec;
  assert.deepEqual(pod.nodeSelector, { 'faxgate.io/modems': 'true' });
  assert.deepEqual(pod.securityContext.supplementalGroups, [20]);
  assert.deepEqual(pod.volumes.filter((v: { hostPath?: unknown }) => v.hostPath).map((v: { hostPath: { path: string; type: string } }) => [v.hostPath.path, v.hostPath.type]), [['/dev/ttyACM0', 'CharDevice'], ['/dev/ttyACM1', 'CharDevice']]);
  const c = pod.containers[0];
  assert.equal(c.securityContext.privileged, true);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/dev/ttyACM0'));
  assert.ok(find(ms, 'StatefulSet', 'fg-faxgate-node-sip'));
});

test('external Redis values: no Redis workload, URL from the existing Secret, existing claim', () => {
  const ms = renderChart([join(CI, 'external-redis-values.yaml')]);
  assert.ok(!ms.some((m) => m.metadata.name === 'fg-faxgate-redis' && m.kind === 'StatefulSet'));
  assert.ok(!ms.some((m) => m.kind === 'Secret'), 'the existing Secret is used, none created');
  const c = find(ms, 'Deployment', 'fg-faxgate-dispatch').spec.template.spec.containers[0];
  const url = c.env.find((e: { name: string }) => e.name === 'FAXGATE_REDIS_URL');
  assert.deepEqual(url.valueFrom.secretKeyRef, { name: 'faxgate-credentials', key: 'redis-url' });
  const data = find(ms, 'Deployment', 'fg-faxgate-dispatch').spec.template.spec.volumes.find((v: { name: string }) => v.name === 'data');
  assert.equal(data.persistentVolumeClaim.claimName, 'fax-spool');
  assert.equal(find(ms, 'ScaledObject', 'fg-faxgate-notifier').spec.triggers[0].metadata.address, 'redis.data.svc:6379');
  assert.equal(find(ms, 'HorizontalPodAutoscaler', 'fg-faxgate-render').spec.maxReplicas, 8);
  assert.ok(c.env.some((e: { name: string; value?: string }) => e.name === 'FAXGATE_JOB_BACKOFF' && e.value === '10s'));
});

test('all-in-one values: one Deployment running every role behind the SMTP and console Services', () => {
  const ms = renderChart([join(CI, 'all-in-one-values.yaml')]);
  const deployments = ms.filter((m) => m.kind === 'Deployment');
  assert.deepEqual(deployments.map((d) => d.metadata.name), ['fg-faxgate-all']);
  const d = deployments[0];
  assert.deepEqual(d.spec.template.spec.containers[0].args, ['run', 'all']);
  assert.equal(d.spec.strategy.type, 'Recreate');
  assert.equal(find(ms, 'Service', 'fg-faxgate-smtp').spec.selector['app.kubernetes.io/component'], 'all');
  assert.equal(find(ms, 'Ingress', 'fg-faxgate-console').spec.rules[0].host, 'fax.smallclinic.example');
  assert.ok(!ms.some((m) => m.kind === 'StatefulSet' && m.metadata.name.includes('-node-')));
});

test('values.schema.json refuses bad values with a reason', () => {
  assert.throws(() => renderChart([], ['mode=cluster']), /mode.*must be one of/);
  assert.throws(() => renderChart([], ['redis.enabled=false']), /redis\/external\/url|existingSecret/);
  assert.throws(() => renderChart([], ['node.pools[0].kind=vm']), /kind/);
  assert.throws(() => renderChart([], ['ingest.service.externalTrafficPolicy=Anywhere']), /externalTrafficPolicy/);
});

test('values.yaml: every value is documented with a ## @param, and every @param names a real value', async () => {
  const { parse } = await import('yaml');
  const text = readFileSync(join(CHART, 'values.yaml'), 'utf8');
  const values = parse(text) as Record<string, unknown>;
  const params = [...text.matchAll(/^## @param (\S+) \S/gm)].map((m) => m[1]);
  const leaves: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !params.includes(path)) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else leaves.push(path);
  };
  walk(values, '');
  const documented = (p: string) => params.some((d) => p === d || p.startsWith(`${d}.`));
  assert.deepEqual(leaves.filter((p) => !documented(p)), [], 'values without a @param');
  const has = (p: string) => p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), values) !== undefined;
  assert.deepEqual(params.filter((p) => !has(p)), [], '@param naming no value');
  // The schema knows every top-level value (it refuses unknown ones).
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
  assert.deepEqual(Object.keys(values).filter((k) => !schema.properties[k]), []);
});

test('charts/faxgate/README.md has the current parameter tables', async () => {
  const { renderReadme } = await import('./chart-readme.ts');
  const current = readFileSync(join(CHART, 'README.md'), 'utf8');
  assert.equal(current, renderReadme(current), 'run: node libs/k8s/test/chart-readme.ts --write');
});

test('NOTES.txt renders for every values file (helm install --dry-run=client)', () => {
  for (const f of [undefined, ...VALUES]) {
    const out = helm(['install', 'fg', CHART, '--namespace', 'fax', '--dry-run=client', ...(f ? ['-f', f] : [])]);
    const notes = out.slice(out.indexOf('NOTES:'));
    // Published SMTP says how to find the address; ClusterIP (the default) gives the in-cluster name.
    const published = f !== undefined && /type: LoadBalancer/.test(readFileSync(f, 'utf8'));
    assert.match(notes, published ? /kubectl -n fax get svc fg-faxgate-smtp/ : /fg-faxgate-smtp\.fax\.svc:25, inside the cluster only/, f);
    assert.match(notes, /Dialling: national (US|DE) numbers only, costly ranges refused/, f);
    assert.match(notes, /\/api\/v1\/lines/);
  }
});
