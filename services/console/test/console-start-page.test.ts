import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRoles } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';

// Issue 19: the chart's Ingress sends / to the console; / must open the console, not a 404.
test('/ redirects to the Bull Board start page, which asks for credentials and then shows the board', async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('faxgate-console-start');
  t.after(async () => {
    await redis.dispose();
    await dir.remove();
  });
  const gw = await runRoles([consoleRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path }, { FAXGATE_CONSOLE_PASSWORD: 'pw' }) });
  t.after(() => gw.stop());

  const root = await fetch(`${gw.httpUrl}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/queues');
  const anonymous = await fetch(new URL(root.headers.get('location')!, gw.httpUrl));
  assert.equal(anonymous.status, 401, 'the board itself stays behind the console\'s auth');
  const auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
  const board = await fetch(new URL('/queues', gw.httpUrl), { headers: { authorization: auth } });
  assert.equal(board.status, 200);
  assert.match(await board.text(), /<title>faxgate<\/title>/, 'the Bull Board page, titled faxgate');
});
