import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createRedis } from '@faxgate/queue';
import { SettingsStore } from '@faxgate/settings';
import { startRedis, tempDir } from '@faxgate/testkit';
import { find, renderChart, unknownFieldErrors, validateManifest } from './chart-render.ts';

// Issue 20: runtime settings kept as code in the chart's values reach the gateway's settings
// store through a hook Job, which runs `faxgate config import` after each install and upgrade.
// The Job's own command runs here against a real Redis, so what the chart renders is what works.

const run = promisify(execFile);
const faxgate = resolve(import.meta.dirname, '../../../faxgate');
const SET = ['runtimeSettings.FAXGATE_DIAL_DENY=+1900*', 'runtimeSettings.FAXGATE_RETRY_MAX_TRIES=4'];

test('without runtimeSettings the chart renders no settings Job; with them, a hook ConfigMap and Job that validate', async () => {
  assert.equal(renderChart().filter((m) => m.metadata.name?.includes('settings')).length, 0);
  const ms = renderChart([], SET);
  const cm = find(ms, 'ConfigMap', 'fg-faxgate-settings');
  const job = find(ms, 'Job', 'fg-faxgate-settings-import');
  for (const m of [cm, job]) {
    await validateManifest(m);
    assert.match(m.metadata.annotations?.['helm.sh/hook'] ?? '', /post-install,post-upgrade/);
  }
  assert.deepEqual(unknownFieldErrors([cm, job]), []);
  assert.ok(Number(cm.metadata.annotations?.['helm.sh/hook-weight']) < Number(job.metadata.annotations?.['helm.sh/hook-weight']), 'the ConfigMap exists before the Job runs');
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.args.slice(0, 3), ['config', 'import', '/etc/faxgate/settings/settings.yaml']);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.ok(c.env.some((e: { name: string }) => e.name === 'FAXGATE_REDIS_URL'));
  assert.throws(() => renderChart([], ['runtimeSettings.DIAL_DENY=x']), /runtimeSettings/);
});

test('the Job\'s command imports the values as a new version by the release, and an upgrade that changes nothing adds none', async (t) => {
  const ms = renderChart([], SET);
  const yaml = find(ms, 'ConfigMap', 'fg-faxgate-settings').data!['settings.yaml'];
  const c = find(ms, 'Job', 'fg-faxgate-settings-import').spec.template.spec.containers[0];
  const dir = await tempDir('faxgate-chart-settings');
  t.after(() => dir.remove());
  const file = join(dir.path, 'settings.yaml');
  await writeFile(file, yaml);
  const redis = await startRedis();
  t.after(() => redis.dispose());
  const prefix = (c.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'FAXGATE_QUEUE_PREFIX')!.value!;
  const args = (c.args as string[]).map((a) => (a === '/etc/faxgate/settings/settings.yaml' ? file : a));
  const env = { ...process.env, FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: prefix };
  const first = await run(faxgate, args, { env });
  assert.match(first.stdout, /version 1 saved/);
  const client = createRedis(redis.url, 'background');
  t.after(() => client.disconnect());
  const store = new SettingsStore(client, prefix);
  const cur = await store.current();
  assert.deepEqual(cur.values, { FAXGATE_DIAL_DENY: '+1900*', FAXGATE_RETRY_MAX_TRIES: '4' });
  assert.equal(cur.by, 'helm:fg');
  assert.equal(cur.reason, 'helm release fg revision 1');
  const again = await run(faxgate, args, { env });
  assert.match(again.stdout, /nothing to change: version 1 stays/);
  assert.equal((await store.current()).version, 1);
});

test('cover templates in runtimeSettings (a map of name: HTML) reach the store as the setting\'s JSON, checked by the gateway\'s schema', async (t) => {
  const dir = await tempDir('faxgate-chart-templates');
  t.after(() => dir.remove());
  const values = join(dir.path, 'values.yaml');
  const urgent = '<html><body>\n<h1>URGENT</h1>\n<p>{{#subject}}Re: {{subject}}{{/subject}}, for {{to_name}}</p>\n</body></html>\n';
  await writeFile(values, `runtimeSettings:\n  FAXGATE_COVER_TEMPLATES:\n    urgent: |\n${urgent.replace(/^/gm, '      ').replace(/ +$/, '')}\n`);
  const ms = renderChart([values]);
  const cm = find(ms, 'ConfigMap', 'fg-faxgate-settings');
  await validateManifest(cm);
  const file = join(dir.path, 'settings.yaml');
  await writeFile(file, cm.data!['settings.yaml']);
  const redis = await startRedis();
  t.after(() => redis.dispose());
  const c = find(ms, 'Job', 'fg-faxgate-settings-import').spec.template.spec.containers[0];
  const args = (c.args as string[]).map((a) => (a === '/etc/faxgate/settings/settings.yaml' ? file : a));
  const env = { ...process.env, FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: 'fgtemplates' };
  const first = await run(faxgate, args, { env });
  assert.match(first.stdout, /version 1 saved/);
  const client = createRedis(redis.url, 'background');
  t.after(() => client.disconnect());
  assert.deepEqual(JSON.parse((await new SettingsStore(client, 'fgtemplates').current()).values.FAXGATE_COVER_TEMPLATES), { urgent });
  // A template that would fetch from elsewhere fails the Job with the schema's reason.
  await writeFile(values, 'runtimeSettings:\n  FAXGATE_COVER_TEMPLATES:\n    urgent: <p><img src="http://logo.example/l.png"></p>\n');
  await writeFile(file, find(renderChart([values]), 'ConfigMap', 'fg-faxgate-settings').data!['settings.yaml']);
  await assert.rejects(run(faxgate, args, { env }), (err: { code: number; stderr: string }) => err.code === 1 && /template "urgent" loads src="http:\/\/logo.example\/l.png"/.test(err.stderr));
});
