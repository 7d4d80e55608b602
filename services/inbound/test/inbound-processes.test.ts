import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runRoles, type RunningGateway, type RoleDefinition } from '@faxgate/runtime';
import { freePort, startRedis, startSmtpSink, testGatewayEnv, tempDir, waitUntil, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { notifierRole } from '@faxgate/notifier';
import { nodeRole } from '@faxgate/node';
import { inboundRole } from '../src/index.ts';
import { TOKEN, api, finished, makeFaxTiff, offerCall } from './helpers.ts';

let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let gw: RunningGateway;
let child: ChildProcess;
let childPort: number;
let env: NodeJS.ProcessEnv;

before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-inbound-procs');
  await writeFile(join(dir.path, 'directory.yaml'), 'unaddressed: faxadmin@example.com\nusers: []\nroutes: []\n');
  env = {
    ...testGatewayEnv({ redisUrl: redis.url, dataDir: join(dir.path, 'data') }),
    FAXGATE_SMARTHOST: sink.url,
    FAXGATE_DIRECTORY: join(dir.path, 'directory.yaml'),
    // Long poll: only the watch and the check before routing can carry an edit across.
    FAXGATE_DIRECTORY_POLL: '1h',
    FAXGATE_CONSOLE_TOKEN: TOKEN,
    FAXGATE_CONSOLE_PASSWORD: 'unused',
  };
  // A second inbound process beside the in-process one: both take route-inbound jobs.
  childPort = await freePort();
  child = spawn(resolve(import.meta.dirname, '../../../faxgate'), ['run', 'inbound'], { env: { ...process.env, ...env, FAXGATE_HTTP_PORT: String(childPort) }, stdio: 'ignore' });
  gw = await runRoles([consoleRole, notifierRole, inboundRole, nodeRole] as unknown as RoleDefinition[], { env });
  await waitUntil('the inbound process to be ready', async () => (await fetch(`http://127.0.0.1:${childPort}/readyz`)).status === 200, 30_000, 100);
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await gw?.stop();
  await sink?.close();
  await redis?.dispose();
  await dir?.remove();
});

test('an edit through the console reaches every inbound process: all faxes after it are routed by it, whichever process routes them', async (t) => {
  const tiff = await makeFaxTiff(dir.path, 1, 'Two routers');
  const edit = await api(gw, 'POST', '/api/v1/users', { id: 'ops', emails: ['ops@example.com'], dids: ['+12125550142'] });
  assert.equal(edit.status, 201);
  const ids = await Promise.all(Array.from({ length: 8 }, () => offerCall(gw, tiff, { did: '+12125550142', from: '+16175550000' })));
  const versions = new Set<string>();
  for (const id of ids) {
    const rec = await finished(gw, id);
    assert.deepEqual([rec.route?.rule, rec.route?.user, rec.deliveries[0].to], ['did', 'ops', ['ops@example.com']]);
    versions.add(/directory ([0-9a-f]{12})/.exec(rec.timeline.find((e) => e.event === 'routed')?.detail ?? '')?.[1] ?? '?');
  }
  assert.deepEqual([...versions], [String(edit.json.version).slice(0, 12)], 'every router used the edited file');
  const metrics = await (await fetch(`http://127.0.0.1:${childPort}/metrics`)).text();
  const childRouted = Number(/^faxgate_inbound_routed_total\{rule="did"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  // Which process takes which job is BullMQ's choice; report it rather than depend on it.
  t.diagnostic(`the separate inbound process routed ${childRouted} of ${ids.length}`);
});
