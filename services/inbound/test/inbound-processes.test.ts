import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { RunningGateway } from '@faxgate/runtime';
import { freePort, waitUntil, type TempDir } from '@faxgate/testkit';
import { api, finished, makeFaxTiff, offerCall, startInboundGateway } from './helpers.ts';

let g: Awaited<ReturnType<typeof startInboundGateway>>;
let dir: TempDir;
let gw: RunningGateway;
let child: ChildProcess;
let childPort: number;

before(async () => {
  // Long poll: only the watch and the check before routing can carry an edit across.
  g = await startInboundGateway('faxgate-inbound-procs', 'unaddressed: faxadmin@example.com\nusers: []\nroutes: []\n', { FAXGATE_DIRECTORY_POLL: '1h' });
  ({ gw, dir } = g);
  // A second inbound process beside the in-process one: both take route-inbound jobs.
  childPort = await freePort();
  child = spawn(resolve(import.meta.dirname, '../../../faxgate'), ['run', 'inbound'], { env: { ...process.env, ...g.env, FAXGATE_HTTP_PORT: String(childPort) }, stdio: 'ignore' });
  await waitUntil('the inbound process to be ready', async () => (await fetch(`http://127.0.0.1:${childPort}/readyz`)).status === 200, 30_000, 100);
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await g?.dispose();
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
