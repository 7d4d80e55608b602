// Issue 17, start-up and shutdown: with Redis down SMTP still opens and answers 451, a Redis that
// goes away does not fill the log, the first SIGTERM stops the process, a misspelt variable is
// named, and a busy port is one clear line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { freePort, startRedis, startRoleProcess, tempDir, waitUntil, type TempDir } from '@faxgate/testkit';

let dir: TempDir;
before(async () => {
  dir = await tempDir('faxgate-startup');
});
after(async () => {
  await dir.remove();
});

const baseEnv = async (redisUrl: string) => ({
  FAXGATE_REDIS_URL: redisUrl,
  FAXGATE_QUEUE_PREFIX: `test-${randomUUID()}`,
  FAXGATE_DATA_DIR: dir.path,
  FAXGATE_HTTP_HOST: '127.0.0.1',
  FAXGATE_SMTP_HOST: '127.0.0.1',
  FAXGATE_SMTP_PORT: String(await freePort()),
  FAXGATE_FAX_DOMAINS: 'fax.test',
  FAXGATE_LOG_LEVEL: 'info',
});

const exitOf = (p: { child: import('node:child_process').ChildProcess }) =>
  new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', (c) => r(c))));

test('Redis down at start: SMTP opens and answers 451, a misspelt variable is named, the first SIGTERM stops the process', async () => {
  const env = { ...(await baseEnv(`redis://127.0.0.1:${await freePort()}`)), FAXGATE_SMTP_PROT: '2525' };
  const p = await startRoleProcess(['ingest', 'dispatch'], env);
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(env.FAXGATE_SMTP_PORT), ignoreTLS: true });
    const err = await waitUntil('the SMTP port to answer while Redis is down', async () => {
      try {
        await transport.sendMail({ from: 'a@example.com', to: '12125550100@fax.test', subject: 's', text: 'x' });
        return new Error('accepted while Redis is down');
      } catch (e) {
        return /ECONNREFUSED/.test((e as Error).message) ? undefined : (e as Error & { responseCode?: number });
      }
    }, 30_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}\n${p.output()}`);
    });
    assert.equal((err as { responseCode?: number }).responseCode, 451, `${err.message}\n${p.output()}`);
    assert.match(p.output(), /FAXGATE_SMTP_PROT is not a faxgate variable and is ignored \(did you mean FAXGATE_SMTP_PORT\?\)/);
    const sentAt = Date.now();
    p.child.kill('SIGTERM');
    const code = await Promise.race([exitOf(p), new Promise<string>((r) => setTimeout(() => r('still running'), 15_000))]);
    assert.equal(code, 0, `after one SIGTERM (${Date.now() - sentAt} ms):\n${p.output()}`);
  } finally {
    await p.kill9();
  }
});

test('a Redis that goes away is a few log lines, not one per reconnect', async () => {
  const redis = await startRedis();
  const p = await startRoleProcess(['dispatch', 'node'], await baseEnv(redis.url));
  try {
    await p.ready();
    // Lines are judged by their own time, not by where they fall in the output: on a loaded
    // machine the start-up lines (banner, "started", the first retention run) were still
    // arriving when the count began, and were counted as Redis-away lines.
    const stoppedAt = Date.now();
    await redis.stop();
    // Long enough for dozens of reconnects and line-status heartbeats (every 250 ms).
    await new Promise((r) => setTimeout(r, 8000));
    const lines = p.output().split('\n').filter((l) => {
      try {
        return (JSON.parse(l) as { time?: number }).time! >= stoppedAt;
      } catch {
        return false;
      }
    });
    assert.ok(lines.length <= 8, `${lines.length} log lines in 8 s with Redis away:\n${lines.join('\n')}`);
  } finally {
    await p.kill9();
    await redis.dispose();
  }
});

test('a port already in use is one clear line, not a stack trace', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const redis = await startRedis();
    try {
      const p = await startRoleProcess(['ingest'], { ...(await baseEnv(redis.url)), FAXGATE_SMTP_PORT: String(port) });
      const code = await Promise.race([exitOf(p), new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
      assert.equal(code, 1, p.output());
      const errLines = p.output().split('\n').filter((l) => l.startsWith('faxgate:') || /^\s+at /.test(l));
      assert.deepEqual(errLines.length, 1, p.output());
      assert.match(errLines[0], new RegExp(`^faxgate: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      await redis.dispose();
    }
  } finally {
    blocker.close();
  }
});
