import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRedis } from '@faxgate/queue';
import { startRedis, tempDir } from '@faxgate/testkit';
import { find, renderChart } from './chart-render.ts';

// Issue 19: the chart's Redis has a maxmemory below its container limit and noeviction, so a
// full Redis refuses writes (SMTP 451) instead of being OOM-killed.

test('the chart\'s redis.conf sets maxmemory and noeviction, and a real redis-server takes it as such', async (t) => {
  const conf = find(renderChart(), 'ConfigMap', 'fg-faxgate-redis').data!['redis.conf'];
  assert.match(conf, /^maxmemory 768mb$/m);
  assert.match(conf, /^maxmemory-policy noeviction$/m);
  const dir = await tempDir('faxgate-chart-redis');
  t.after(() => dir.remove());
  const file = join(dir.path, 'redis.conf');
  await writeFile(file, conf);
  // redis-server reads the ConfigMap's file as the pod would (its first argument).
  const redis = await startRedis({ extraArgs: ['--include', file] });
  t.after(() => redis.dispose());
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  assert.deepEqual(await c.config('GET', 'maxmemory'), ['maxmemory', String(768 * 1024 * 1024)]);
  assert.deepEqual(await c.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
});

test('redis.maxmemory can be set, and a value Redis would not read is refused by the schema', () => {
  const conf = find(renderChart([], ['redis.maxmemory=3gb']), 'ConfigMap', 'fg-faxgate-redis').data!['redis.conf'];
  assert.match(conf, /^maxmemory 3gb$/m);
  assert.throws(() => renderChart([], ['redis.maxmemory=lots']), /maxmemory/);
});
