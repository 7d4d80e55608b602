import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir, waitUntil } from '@faxgate/testkit';
import { CHART, find, renderChart } from './chart-render.ts';

/**
 * The built-in Redis as the chart starts it, run here with the real redis-server: its rendered
 * redis.conf and container command, with only the port and directory moved to the test's.
 */
test('the chart\'s Redis starts from its rendered config and command with AOF, noeviction and the password, and its readiness probe passes', async (t) => {
  const ms = renderChart([join(CHART, 'ci/keda-scaled-values.yaml')]);
  const conf = find(ms, 'ConfigMap', 'fg-faxgate-redis').data!['redis.conf'];
  const sts = find(ms, 'StatefulSet', 'fg-faxgate-redis');
  const c = sts.spec.template.spec.containers[0];
  const dir = await tempDir('faxgate-chart-redis');
  const port = await freePort();
  writeFileSync(join(dir.path, 'redis.conf'), conf);
  const password = 's3cret-redis'; // from ci/keda-scaled-values.yaml, delivered through the Secret
  assert.deepEqual(c.env.map((e: { name: string }) => e.name), ['REDIS_PASSWORD']);
  assert.equal(c.command[0], 'sh');
  assert.match(c.command[2], /--dir \/data /, 'the AOF lives on the volume');
  const script = (c.command[2] as string).replace('/etc/redis/redis.conf', `${join(dir.path, 'redis.conf')} --port ${port} --bind 127.0.0.1`).replace('--dir /data', `--dir ${dir.path}`);
  const child = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH, REDIS_PASSWORD: password }, stdio: 'ignore' });
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await dir.remove();
  });
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', ...args], { encoding: 'utf8' }).trim();
  await waitUntil('redis to answer', () => {
    try {
      return cli('PING') === 'PONG';
    } catch {
      return false;
    }
  }, 10_000);
  assert.equal(cli('CONFIG', 'GET', 'appendonly'), 'appendonly\nyes');
  assert.equal(cli('CONFIG', 'GET', 'maxmemory-policy'), 'maxmemory-policy\nnoeviction');
  assert.equal(cli('CONFIG', 'GET', 'appendfsync'), 'appendfsync\nalways', 'an SMTP 250 waits for the AOF fsync (issue 18)');
  // Without the password Redis refuses.
  assert.match(execFileSync('redis-cli', ['-p', String(port), 'GET', 'x'], { encoding: 'utf8' }), /NOAUTH/);
  // The readiness probe as rendered, pointed at this port.
  const probe = (c.readinessProbe.exec.command[2] as string).replace('redis-cli', `redis-cli -p ${port}`);
  execFileSync('sh', ['-c', probe], { env: { PATH: process.env.PATH, REDIS_PASSWORD: password } });
  assert.throws(() => execFileSync('sh', ['-c', probe], { env: { PATH: process.env.PATH, REDIS_PASSWORD: 'wrong' } }), 'the probe fails with a wrong password');
});

test('without a password the chart\'s Redis runs the image\'s own entrypoint arguments and the probe needs no AUTH', async (t) => {
  const ms = renderChart();
  const conf = find(ms, 'ConfigMap', 'fg-faxgate-redis').data!['redis.conf'];
  const c = find(ms, 'StatefulSet', 'fg-faxgate-redis').spec.template.spec.containers[0];
  assert.equal(c.command, undefined, 'the redis image entrypoint runs');
  assert.deepEqual(c.args, ['/etc/redis/redis.conf', '--dir', '/data']);
  const dir = await tempDir('faxgate-chart-redis');
  const port = await freePort();
  writeFileSync(join(dir.path, 'redis.conf'), conf);
  // The image's entrypoint runs `redis-server <args>` for a first argument ending in .conf.
  const args = (c.args as string[]).map((a) => (a === '/etc/redis/redis.conf' ? join(dir.path, 'redis.conf') : a === '/data' ? dir.path : a));
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' });
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await dir.remove();
  });
  const probe = (c.readinessProbe.exec.command[2] as string).replace('redis-cli', `redis-cli -p ${port}`);
  await waitUntil('the readiness probe to pass', () => {
    try {
      execFileSync('sh', ['-c', probe], { env: { PATH: process.env.PATH }, stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  assert.equal(execFileSync('redis-cli', ['-p', String(port), 'CONFIG', 'GET', 'maxmemory-policy'], { encoding: 'utf8' }).trim(), 'maxmemory-policy\nnoeviction');
  assert.equal(execFileSync('redis-cli', ['-p', String(port), 'CONFIG', 'GET', 'dir'], { encoding: 'utf8' }).trim(), `dir\n${dir.path}`);
});
