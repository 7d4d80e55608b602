import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startRedis, startRoleProcess, startSmtpSink, tempDir, freePort, libtiffInspect, roleProcessEnv, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';

const root = resolve(import.meta.dirname, '../../..');
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-procs');
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

/** Each role as its own process, started the way a pod starts it: `faxgate run <role>`. */
test('roles as separate processes carry a fax end to end, and each stops cleanly on SIGTERM', async () => {
  const smtpPort = await freePort();
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url, smtpPort }, { FAXGATE_SIM_TIME_SCALE: '0.001' });
  const procs: RoleProcess[] = [];
  try {
    for (const role of ['ingest', 'render', 'dispatch', 'node', 'notifier', 'console']) procs.push(await startRoleProcess([role], env));
    for (const p of procs) await p.ready(60_000);
    const faxId = await mailFax(smtpPort, { to: '"Front desk" <12125550100@fax.test>', subject: 'across processes', text: 'Each role is its own process.' });
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
    assert.match(mail.parsed.subject ?? '', /Front desk.*sent: 1 page/);
    const received = await libtiffInspect(join(dir.path, 'sim-received', `${faxId}-r0-a1.tif`), dir.path);
    assert.equal(received.pages.length, 1);
  } finally {
    const exits = await Promise.all(procs.map(async (p) => ({ p, code: await p.stop() })));
    // The signal too: once (load 20) ingest ended with no code and no output at all.
    for (const { p, code } of exits) assert.equal(code, 0, `${p.roles[0]} exited ${code} (signal ${p.child.signalCode}, pid ${p.child.pid}) after SIGTERM:\n${p.output()}`);
  }
});

test('a bad configuration stops the start with every bad variable named', async () => {
  const child = spawn(join(root, 'faxgate'), ['run', 'ingest', 'dispatch'], {
    env: { ...process.env, FAXGATE_SMTP_PORT: 'seventy', FAXGATE_RETRY_MAX_DIALS: '0', FAXGATE_REDIS_URL: 'http://nope' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 78);
  assert.match(err, /FAXGATE_SMTP_PORT/);
  assert.match(err, /FAXGATE_RETRY_MAX_DIALS/);
  assert.match(err, /FAXGATE_REDIS_URL/);
});
