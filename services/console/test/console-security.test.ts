import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv, waitUntil, type TempDir, type TestRedis } from '@faxgate/testkit';
import { lineStatusKeys } from '@faxgate/k8s';
import { consoleRole } from '@faxgate/console';

// Issue 17: the console refuses cross-site state changes, throttles password guessing, keeps
// its generated password out of the logs, and /metrics can require a token.

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-console-security');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

async function startConsole(extra: Record<string, string> = {}): Promise<{ gw: RunningGateway; dataDir: string; prefix: string }> {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, extra);
  const dataDir = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  env.FAXGATE_DATA_DIR = dataDir;
  const gw = await runRoles([consoleRole], { env });
  return { gw, dataDir, prefix: env.FAXGATE_QUEUE_PREFIX };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('a cross-site POST with the browser\'s basic auth does not drain a node; the same request from the console itself does', async () => {
  const { gw, prefix } = await startConsole({ FAXGATE_CONSOLE_PASSWORD: 'pw' });
  try {
    const node = 'node-a';
    // A node that publishes its line status, as a running node daemon does.
    await gw.ctx.redis.set(lineStatusKeys.node(prefix, node), JSON.stringify({ nodeId: node, pool: 'sim', draining: false, lines: [], updatedAt: new Date().toISOString() }), 'EX', 60);
    await gw.ctx.redis.zadd(lineStatusKeys.index(prefix), Date.now(), node);
    const url = `${gw.httpUrl}/api/v1/nodes/${node}/drain`;
    const host = new URL(gw.httpUrl).host;
    const auth = basic('admin', 'pw');
    const attacks: Array<[string, Record<string, string>]> = [
      ['a text/plain form from a foreign page (old browser: no Origin)', { 'content-type': 'text/plain', authorization: auth }],
      ['an urlencoded form', { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }],
      ['a fetch from a foreign origin', { origin: 'https://evil.example', authorization: auth }],
      ['Fetch Metadata says cross-site', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json', authorization: auth }],
    ];
    for (const [what, headers] of attacks) {
      const res = await fetch(url, { method: 'POST', headers, body: headers['content-type'] ? '{}' : undefined });
      assert.equal(res.status, 403, what);
      assert.match(((await res.json()) as { error: string }).error, /cross-site request refused/, what);
      assert.equal(await gw.ctx.redis.exists(lineStatusKeys.drain(prefix, node)), 0, `${what}: the node was not drained`);
    }
    const own = await fetch(url, { method: 'POST', headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', authorization: auth }, body: '{}' });
    assert.equal(own.status, 202);
    assert.equal(await gw.ctx.redis.exists(lineStatusKeys.drain(prefix, node)), 1, 'the console\'s own request drained the node');
    const script = await fetch(url, { method: 'DELETE', headers: { authorization: auth } });
    assert.equal(script.status, 202, 'a script (no browser headers, no body) still works');
    assert.equal(await gw.ctx.redis.exists(lineStatusKeys.drain(prefix, node)), 0);
  } finally {
    await gw.stop();
  }
});

test('the generated password is written to a mode-600 file under the data dir (not printed) and kept across restarts', async () => {
  const env = { FAXGATE_CONSOLE_USER: 'ops' };
  const first = await startConsole(env);
  const file = join(first.dataDir, 'console-password');
  let password: string;
  try {
    const st = await stat(file);
    assert.equal(st.mode & 0o777, 0o600);
    password = (await readFile(file, 'utf8')).trim();
    assert.ok(password.length >= 12);
    const describe = first.gw.roles[0].instance.describe!().join('\n');
    assert.ok(!describe.includes(password), 'the start-up lines do not show the password');
    assert.ok(describe.includes(file), `the start-up lines say where it is: ${describe}`);
    const ok = await fetch(`${first.gw.httpUrl}/api/v1/faxes`, { headers: { authorization: basic('ops', password) } });
    assert.equal(ok.status, 200);
  } finally {
    await first.gw.stop();
  }
  // A second start on the same data dir keeps the password.
  const again = testGatewayEnv({ redisUrl: redis.url, dataDir: first.dataDir }, env);
  const gw = await runRoles([consoleRole], { env: again });
  try {
    assert.equal((await readFile(file, 'utf8')).trim(), password);
    const ok = await fetch(`${gw.httpUrl}/api/v1/faxes`, { headers: { authorization: basic('ops', password) } });
    assert.equal(ok.status, 200);
  } finally {
    await gw.stop();
  }
});

test('wrong console passwords are answered ever more slowly, then the address is locked out even for the right one', async () => {
  const { gw } = await startConsole({ FAXGATE_CONSOLE_PASSWORD: 'right', FAXGATE_AUTH_MAX_FAILURES: '4', FAXGATE_AUTH_LOCKOUT: '3s' });
  try {
    const get = (pw: string) => fetch(`${gw.httpUrl}/api/v1/faxes`, { headers: { authorization: basic('admin', pw) } });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      assert.equal((await get(`wrong${i}`)).status, 401);
      times.push(Date.now() - t0);
    }
    assert.ok(times[2] >= 900, `the third failure took ${times[2]} ms (${times.join(', ')})`);
    assert.equal((await get('wrong3')).status, 401);
    const locked = await get('right');
    assert.equal(locked.status, 429, 'the right password during the lock-out');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    const anonymous = await fetch(`${gw.httpUrl}/api/v1/faxes`);
    assert.equal(anonymous.status, 401, 'a request without credentials is asked for them (not counted)');
    await waitUntil('the console lock-out to end', async () => (await get('right')).status === 200, 10_000, 500);
  } finally {
    await gw.stop();
  }
});

test('/metrics requires the bearer token when FAXGATE_METRICS_TOKEN is set', async () => {
  const { gw } = await startConsole({ FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_METRICS_TOKEN: 'scrape-me' });
  try {
    assert.equal((await fetch(`${gw.httpUrl}/metrics`)).status, 401);
    assert.equal((await fetch(`${gw.httpUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    const ok = await fetch(`${gw.httpUrl}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /faxgate_/);
    assert.equal((await fetch(`${gw.httpUrl}/healthz`)).status, 200, 'health stays open for probes');
  } finally {
    await gw.stop();
  }
});
