import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { startRedis, startSmtpSink, tempDir, freePort, waitUntil, libtiffInspect, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';

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
  const env = {
    ...process.env,
    FAXGATE_REDIS_URL: redis.url,
    FAXGATE_QUEUE_PREFIX: `test-${randomUUID()}`,
    FAXGATE_DATA_DIR: dir.path,
    FAXGATE_HTTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_PORT: String(smtpPort),
    FAXGATE_SMARTHOST: sink.url,
    FAXGATE_FAX_DOMAINS: 'fax.test',
    FAXGATE_SIM_TIME_SCALE: '0.001',
    FAXGATE_LOG_LEVEL: 'warn',
  };
  const roles = ['ingest', 'render', 'dispatch', 'node', 'notifier', 'console'];
  const procs: Array<{ role: string; child: ChildProcess; port: number; out: string[] }> = [];
  try {
    for (const role of roles) {
      const port = await freePort();
      const child = spawn(join(root, 'faxgate'), ['run', role], { env: { ...env, FAXGATE_HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: string[] = [];
      child.stdout!.on('data', (d) => out.push(String(d)));
      child.stderr!.on('data', (d) => out.push(String(d)));
      procs.push({ role, child, port, out });
    }
    for (const p of procs) {
      await waitUntil(`${p.role} ready`, async () => (await fetch(`http://127.0.0.1:${p.port}/readyz`)).status === 200, 30_000, 200).catch((err) => {
        throw new Error(`${err.message}\n${p.out.join('')}`);
      });
    }
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true }).sendMail({ from: 'ops@example.com', to: '"Front desk" <12125550100@fax.test>', subject: 'across processes', text: 'Each role is its own process.' });
    const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
    assert.ok(faxId);
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
    assert.match(mail.parsed.subject ?? '', /Front desk.*sent: 1 page/);
    const received = await libtiffInspect(join(dir.path, 'sim-received', `${faxId}-r0-a1.tif`), dir.path);
    assert.equal(received.pages.length, 1);
  } finally {
    const exits = await Promise.all(
      procs.map(
        (p) =>
          new Promise<{ role: string; code: number | null; out: string }>((res) => {
            if (p.child.exitCode !== null) return res({ role: p.role, code: p.child.exitCode, out: p.out.join('') });
            // The signal too: once (load 20) ingest ended with no code and no output at all.
            p.child.once('exit', (code, signal) => res({ role: p.role, code, out: `(exit signal: ${signal}, pid ${p.child.pid})\n${p.out.join('')}` }));
            p.child.kill('SIGTERM');
          }),
      ),
    );
    for (const e of exits) assert.equal(e.code, 0, `${e.role} exited ${e.code} after SIGTERM:\n${e.out}`);
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
