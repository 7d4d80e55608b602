import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, find, renderChart, workloads, type Manifest } from './chart-render.ts';

// Issue 19: the chart mounts the files the docs rely on, rolls the pods when what they read at
// start changes, routes the ingress's / to the console, and gives every workload resources and
// a security context.

const CI = join(CHART, 'ci');
const EXTRA = join(CI, 'extra-files-values.yaml');
const VALUES = readdirSync(CI).filter((f) => f.endsWith('-values.yaml')).map((f) => join(CI, f));

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, { name: string; key: string }> }>;
  envFrom?: Array<Record<string, { name: string }>>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
}
const pod = (w: Manifest) => w.spec.template.spec as { containers: Container[]; initContainers?: Container[]; volumes: Array<Record<string, any>>; securityContext: Record<string, unknown> }; // eslint-disable-line @typescript-eslint/no-explicit-any
const container = (w: Manifest) => pod(w).containers[0];
const annotations = (w: Manifest): Record<string, string> => w.spec.template.metadata.annotations ?? {};
const envOf = (w: Manifest) => new Map((container(w).env ?? []).map((e) => [e.name, e]));
const faxgateWorkloads = (ms: Manifest[]) => workloads(ms).filter((w) => w.metadata.labels?.['app.kubernetes.io/component'] !== 'redis');

test('extra files: the STARTTLS pair and SMTP users on ingest, covers and sender directory on render, HylaFAX password files on the HylaFAX pool', () => {
  const ms = renderChart([EXTRA]);
  const ingest = find(ms, 'Deployment', 'fg-faxgate-ingest');
  // Strings go through tpl: the Secret's name follows the release.
  assert.deepEqual(pod(ingest).volumes.find((v) => v.name === 'smtp-tls'), { name: 'smtp-tls', secret: { secretName: 'fg-smtp-tls' } });
  assert.deepEqual(pod(ingest).volumes.find((v) => v.name === 'smtp-users')!.secret.items, [{ key: 'users', path: 'users' }]);
  const mounts = new Map((container(ingest).volumeMounts ?? []).map((m) => [m.name, m]));
  assert.deepEqual(mounts.get('smtp-tls'), { name: 'smtp-tls', mountPath: '/etc/faxgate/tls', readOnly: true });
  assert.equal(mounts.get('smtp-users')?.mountPath, '/etc/faxgate/smtp');
  assert.ok(mounts.has('data') && mounts.has('tmp'), 'the chart\'s own mounts stay');
  const env = envOf(ingest);
  assert.equal(env.get('FAXGATE_SMTP_TLS_CERT')?.value, '/etc/faxgate/tls/tls.crt');
  assert.equal(env.get('FAXGATE_SMTP_TLS_KEY')?.value, '/etc/faxgate/tls/tls.key');
  assert.equal(env.get('FAXGATE_SMTP_USERS_FILE')?.value, '/etc/faxgate/smtp/users');
  // Chart-wide extras reach every faxgate pod, after the chart's own variables.
  for (const w of faxgateWorkloads(ms)) {
    const names = (container(w).env ?? []).map((e) => e.name);
    assert.equal(envOf(w).get('FAXGATE_COVER_TIMEZONE')?.value, 'Europe/Berlin', w.metadata.name);
    assert.ok(names.indexOf('FAXGATE_COVER_TIMEZONE') > names.indexOf('FAXGATE_REDIS_URL'), `${w.metadata.name}: extraEnv comes after the chart's variables`);
    assert.deepEqual(container(w).envFrom, [{ configMapRef: { name: 'faxgate-site-settings', optional: true } }], w.metadata.name);
    assert.equal(annotations(w)['backup.velero.io/backup-volumes'], 'data', `${w.metadata.name}: podAnnotations`);
  }
  // A role's extras stay on that role.
  const render = find(ms, 'Deployment', 'fg-faxgate-render');
  assert.equal(envOf(render).get('FAXGATE_COVER_TEMPLATE_DIR')?.value, '/etc/faxgate/covers');
  assert.equal(envOf(render).get('FAXGATE_SENDER_DIRECTORY')?.value, '/etc/faxgate/senders/senders.json');
  assert.equal(envOf(render).get('FAXGATE_SMTP_TLS_CERT'), undefined, 'ingest\'s TLS files are not on render');
  assert.deepEqual(pod(render).volumes.find((v) => v.name === 'covers')!.configMap.items[1], { key: 'billing.html', path: 'senders/billing@example.com.html' });
  assert.equal(pod(find(ms, 'Deployment', 'fg-faxgate-dispatch')).volumes.find((v) => v.name === 'covers'), undefined);
  // The ConfigMap and Secret made from values carry the files.
  const covers = find(ms, 'ConfigMap', 'faxgate-covers');
  assert.equal(covers.data!['default.html'], '<html><body><h1>Fax</h1>{{to}}</body></html>', 'template text is data, not expanded by Helm');
  const senders = find(ms, 'Secret', 'faxgate-sender-directory');
  assert.deepEqual(JSON.parse(Buffer.from(senders.data!['senders.json'], 'base64').toString()).senders['@example.com'].company, 'Example Ltd');

  const hylafax = find(ms, 'StatefulSet', 'fg-faxgate-node-hylafax');
  const henv = envOf(hylafax);
  assert.equal(henv.get('FAXGATE_NODE_DRIVER')?.value, 'hylafax');
  assert.equal(henv.get('FAXGATE_HYLAFAX_PASSWORD_FILE')?.value, '/etc/faxgate/hylafax/password');
  assert.equal(henv.get('FAXGATE_HYLAFAX_ADMIN_PASSWORD_FILE')?.value, '/etc/faxgate/hylafax/admin-password');
  assert.deepEqual(henv.get('FAXGATE_HYLAFAX_MODEM')?.valueFrom, { configMapKeyRef: { name: 'hylafax-settings', key: 'modem', optional: true } });
  assert.ok(container(hylafax).volumeMounts!.some((m) => m.name === 'hylafax-password' && m.mountPath === '/etc/faxgate/hylafax' && m.readOnly));
  assert.equal(pod(hylafax).volumes.find((v) => v.name === 'hylafax-password')!.secret.secretName, 'hylafax-credentials');
});

test('extra files in all-in-one mode: the allInOne lists and the chart-wide ones reach the single pod', () => {
  const ms = renderChart([join(CI, 'all-in-one-values.yaml')], [
    'allInOne.extraVolumes[0].name=smtp-tls', 'allInOne.extraVolumes[0].secret.secretName=smtp-tls',
    'allInOne.extraVolumeMounts[0].name=smtp-tls', 'allInOne.extraVolumeMounts[0].mountPath=/etc/faxgate/tls',
    'allInOne.extraEnv[0].name=FAXGATE_SMTP_TLS_CERT', 'allInOne.extraEnv[0].value=/etc/faxgate/tls/tls.crt',
    'extraEnvFrom[0].secretRef.name=site-env',
  ]);
  const all = find(ms, 'Deployment', 'fg-faxgate-all');
  assert.equal(envOf(all).get('FAXGATE_SMTP_TLS_CERT')?.value, '/etc/faxgate/tls/tls.crt');
  assert.ok(pod(all).volumes.some((v) => v.name === 'smtp-tls'));
  assert.deepEqual(container(all).envFrom, [{ secretRef: { name: 'site-env' } }]);
  assert.ok(annotations(all)['checksum/extra'], 'the referenced Secrets roll the pod too');
});

test('checksums: a changed Secret or extra ConfigMap rolls exactly the pods that read it; a directory change rolls none', () => {
  const base = renderChart([EXTRA]);
  const templates = (ms: Manifest[]) => new Map(faxgateWorkloads(ms).map((w) => [`${w.kind}/${w.metadata.name}`, JSON.stringify(w.spec.template)]));
  const changed = (a: Manifest[], b: Manifest[]) => {
    const ta = templates(a);
    const tb = templates(b);
    assert.deepEqual([...ta.keys()], [...tb.keys()]);
    return [...ta.keys()].filter((k) => ta.get(k) !== tb.get(k)).sort();
  };
  const all = [...templates(base).keys()].sort();
  assert.ok(all.length >= 7, all.join(', '));
  for (const w of faxgateWorkloads(base)) assert.match(annotations(w)['checksum/secret'], /^[0-9a-f]{64}$/, w.metadata.name);

  // The chart's Secret feeds environment variables, which a running container never sees change.
  assert.deepEqual(changed(base, renderChart([EXTRA], ['secrets.smarthost=smtp://fax:new@mail.example.com:587'])), all);
  // A cover template: only render mounts the ConfigMap.
  assert.deepEqual(changed(base, renderChart([EXTRA], ['extraConfigMaps.faxgate-covers.default\\.html=<p>new</p>'])), ['Deployment/fg-faxgate-render']);
  // The sender directory Secret made from values: render again.
  assert.deepEqual(changed(base, renderChart([EXTRA], ['extraSecrets.faxgate-sender-directory.senders\\.json=changed'])), ['Deployment/fg-faxgate-render']);
  // The routing directory is reloaded by the inbound role: nothing restarts.
  assert.deepEqual(changed(base, renderChart([EXTRA], ['directory.content=unaddressed: ops@example.com'])), []);
  // Nothing changed, nothing rolls (the checksums are deterministic).
  assert.deepEqual(changed(base, renderChart([EXTRA])), []);

  // Only pods with extras that name Secrets or ConfigMaps carry checksum/extra; a pod without
  // extras carries checksum/secret alone.
  const withExtra = faxgateWorkloads(base).filter((w) => annotations(w)['checksum/extra']).map((w) => w.metadata.name).sort();
  assert.deepEqual(withExtra, ['fg-faxgate-console', 'fg-faxgate-dispatch', 'fg-faxgate-inbound', 'fg-faxgate-ingest', 'fg-faxgate-node-hylafax', 'fg-faxgate-notifier', 'fg-faxgate-render'], 'every pod reads the chart-wide envFrom ConfigMap');
  const plain = renderChart();
  for (const w of faxgateWorkloads(plain)) assert.equal(annotations(w)['checksum/extra'], undefined, w.metadata.name);
  // With an existing Secret, the chart cannot hash values it does not have: the annotation
  // follows the Secret's name and (at helm upgrade) its resourceVersion; never the data.
  const ext = renderChart([join(CI, 'external-redis-values.yaml')]);
  const other = renderChart([join(CI, 'external-redis-values.yaml')], ['existingSecret=other-credentials']);
  assert.notEqual(annotations(find(ext, 'Deployment', 'fg-faxgate-dispatch'))['checksum/secret'], annotations(find(other, 'Deployment', 'fg-faxgate-dispatch'))['checksum/secret']);
});

test('checksums: a new Redis password restarts the built-in Redis and every faxgate pod; a new smarthost leaves Redis running', () => {
  const redisTemplate = (ms: Manifest[]) => JSON.stringify(find(ms, 'StatefulSet', 'fg-faxgate-redis').spec.template);
  const base = renderChart([], ['secrets.redisPassword=one', 'secrets.smarthost=smtp://a@mail.example.com']);
  const newPassword = renderChart([], ['secrets.redisPassword=two', 'secrets.smarthost=smtp://a@mail.example.com']);
  const newSmarthost = renderChart([], ['secrets.redisPassword=one', 'secrets.smarthost=smtp://b@mail.example.com']);
  assert.notEqual(redisTemplate(base), redisTemplate(newPassword), 'Redis rolls with its password');
  assert.equal(redisTemplate(base), redisTemplate(newSmarthost), 'Redis does not read the smarthost');
  const ingest = (ms: Manifest[]) => annotations(find(ms, 'Deployment', 'fg-faxgate-ingest'))['checksum/secret'];
  assert.notEqual(ingest(base), ingest(newPassword));
  assert.notEqual(ingest(base), ingest(newSmarthost));
  assert.equal(annotations(find(renderChart(), 'StatefulSet', 'fg-faxgate-redis'))['checksum/secret'], undefined, 'no password, no Secret read');
});

test('the console Ingress sends / (and everything under it) to the console Service, in both modes', () => {
  for (const [files, set] of [[[], ['console.ingress.enabled=true']], [[join(CI, 'all-in-one-values.yaml')], []]] as Array<[string[], string[]]>) {
    const ms = renderChart(files, set);
    const ing = find(ms, 'Ingress', 'fg-faxgate-console');
    const path = ing.spec.rules[0].http.paths[0];
    assert.equal(path.path, '/');
    assert.equal(path.pathType, 'Prefix');
    assert.equal(path.backend.service.name, 'fg-faxgate-console');
    const svc = find(ms, 'Service', 'fg-faxgate-console');
    assert.equal(path.backend.service.port.name, svc.spec.ports[0].name, 'the Ingress names a port the Service has');
    const target = workloads(ms).find((w) => Object.entries(svc.spec.selector as Record<string, string>).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
    assert.ok(target, 'the Service selects a faxgate workload');
    assert.match(container(target).env!.map((e) => e.name).join(','), /FAXGATE_CONSOLE_PASSWORD/, `${target.metadata.name} runs the console`);
  }
});

test('every container of every workload has resource requests, a memory limit and a locked-down security context (defaults and every ci values file)', () => {
  // The settings-import hook Job (runtimeSettings) is a workload too, and init containers are
  // containers: the issue asks for resources and security contexts on every one.
  const cases: Array<[string, string[], string[]]> = [['defaults', [], []], ...VALUES.map((f): [string, string[], string[]] => [f, [f], []]), ['runtimeSettings (hook Job)', [], ['runtimeSettings.FAXGATE_RETRY_MAX_TRIES=4']]];
  let jobs = 0;
  for (const [label, files, set] of cases) {
    const ms = renderChart(files, set);
    const all = [...workloads(ms), ...ms.filter((m) => m.kind === 'Job')];
    jobs += all.filter((m) => m.kind === 'Job').length;
    for (const w of all) {
      const p = pod(w);
      const where = `${label}: ${w.kind} ${w.metadata.name}`;
      assert.equal(p.securityContext.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.deepEqual(p.securityContext.seccompProfile, { type: 'RuntimeDefault' }, `${where}: seccomp`);
      for (const c of [...p.containers, ...(p.initContainers ?? [])]) {
        assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${where}/${c.name}: cpu and memory requests`);
        assert.ok(c.resources?.limits?.memory, `${where}/${c.name}: a memory limit`);
        const sc = c.securityContext ?? {};
        assert.equal(sc.readOnlyRootFilesystem, true, `${where}/${c.name}: read-only root`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${where}/${c.name}: no capabilities`);
        // Only a modem pool that asks for host devices is privileged (the kubelet requires it).
        if (sc.privileged !== true) assert.equal(sc.allowPrivilegeEscalation, false, `${where}/${c.name}: no privilege escalation`);
        else assert.ok(p.volumes.some((v) => v.hostPath?.type === 'CharDevice'), `${where}: privileged only for devices`);
      }
    }
  }
  assert.ok(jobs >= 1, 'the hook Job was rendered and checked');
});

test('extraEnv that repeats a variable (the chart\'s own, or another extraEnv entry) is refused with the name and where to set it', () => {
  assert.throws(() => renderChart([], ['ingest.extraEnv[0].name=FAXGATE_SMTP_HOST', 'ingest.extraEnv[0].value=127.0.0.1']), /extraEnv of ingest sets FAXGATE_SMTP_HOST, which the chart .* already sets/);
  assert.throws(() => renderChart([], ['extraEnv[0].name=TZ', 'extraEnv[0].value=UTC', 'render.extraEnv[0].name=TZ', 'render.extraEnv[0].value=Europe/Paris']), /extraEnv of render sets TZ, which another extraEnv entry already sets/);
  // The same name on two different roles is fine.
  const ms = renderChart([], ['ingest.extraEnv[0].name=TZ', 'ingest.extraEnv[0].value=UTC', 'render.extraEnv[0].name=TZ', 'render.extraEnv[0].value=Europe/Paris']);
  assert.equal(envOf(find(ms, 'Deployment', 'fg-faxgate-render')).get('TZ')?.value, 'Europe/Paris');
  for (const w of workloads(ms)) {
    const names = (container(w).env ?? []).map((e) => e.name);
    assert.equal(new Set(names).size, names.length, `${w.metadata.name}: no variable twice`);
  }
});

test('values.schema.json refuses malformed extras with a reason', () => {
  assert.throws(() => renderChart([], ['extraVolumeMounts[0].name=x']), /mountPath/);
  assert.throws(() => renderChart([], ['extraEnv[0].value=x']), /name/);
  assert.throws(() => renderChart([], ['ingest.extraEnvFrom[0].secret.name=x']), /secret|additional/i);
  assert.throws(() => renderChart([], ['render.extraVolumes[0].name=Not_A_Name', 'render.extraVolumes[0].emptyDir.medium=Memory']), /name|pattern/);
  assert.throws(() => renderChart([], ['extraConfigMaps.covers.a/b=x']), /propertyNames|pattern|does not match|invalid property name/i);
  assert.throws(() => renderChart([], ['node.pools[0].name=sim', 'node.pools[0].kind=statefulset', 'node.pools[0].lines=1', 'node.pools[0].driver=sim', 'node.pools[0].extraEnv=nope']), /extraEnv/);
});
