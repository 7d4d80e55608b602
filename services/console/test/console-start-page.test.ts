import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRoles } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';

// Issue 19: the chart's Ingress sends / to the console; / must open the console (its pages at
// /ui/, where faxes are searched and followed), not a 404 nor only the queues' internals.
test('/ redirects to the console\'s pages, which ask for credentials and then show the sent faxes', async (t) => {
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
  assert.equal(root.headers.get('location'), '/ui/');
  const anonymous = await fetch(new URL(root.headers.get('location')!, gw.httpUrl));
  assert.equal(anonymous.status, 401, 'the pages stay behind the console\'s auth');
  const auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
  const start = await fetch(new URL(root.headers.get('location')!, gw.httpUrl), { headers: { authorization: auth } });
  assert.equal(start.status, 200);
  const html = await start.text();
  assert.match(html, /<title>Sent faxes · faxgate<\/title>/, 'the console\'s start page');
  // Every console page and Bull Board (Queues) are linked from it, and the board still answers.
  for (const path of ['/ui/inbound', '/ui/lines', '/ui/directory', '/ui/settings', '/queues']) assert.match(html, new RegExp(`href="${path}"`), path);
  assert.equal((await fetch(new URL('/queues', gw.httpUrl), { headers: { authorization: auth } })).status, 200);
});
