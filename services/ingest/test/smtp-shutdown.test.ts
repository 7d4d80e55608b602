import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startRedis, tempDir, testGatewayEnv, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { ingestRole } from '../src/index.ts';

let redis: TestRedis;
let dir: TempDir;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-ingest-shutdown');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

test('a session still open at shutdown gets 421 before the connection closes (RFC 5321 §3.8), within the shutdown deadline', async () => {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_SHUTDOWN_TIMEOUT: '4s' });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  const gw = await runRoles([ingestRole], { env });
  const socket = connect({ host: '127.0.0.1', port: gw.instanceOf(ingestRole).smtpPort() });
  let received = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  let stopped: Promise<void> | undefined;
  try {
    // A client in the middle of a transaction, idle when the gateway is told to stop: the
    // greeting, EHLO's last line and MAIL's answer are three "250 "/"220 " final lines.
    const finals = () => received.split('\r\n').filter((l) => /^\d{3} /.test(l)).length;
    const replies = async (n: number, what: string) => {
      const deadline = Date.now() + 5_000;
      while (finals() < n) {
        if (Date.now() > deadline) assert.fail(`no ${what} within 5 s; the session said:\n${received}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await replies(1, 'greeting');
    socket.write('EHLO client.test\r\nMAIL FROM:<alice@example.com>\r\n');
    await replies(3, 'reply to MAIL');
    assert.match(received.trimEnd().split('\r\n').at(-1) ?? '', /^250 /, received);
    const stopping = Date.now();
    stopped = gw.stop();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection was not closed within 4 s of stop(); the session said:\n${received}`)), 4_000);
    });
    await Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    const last = received.trimEnd().split('\r\n').at(-1) ?? '';
    assert.match(last, /^421 /, `the last thing the client heard before the close:\n${received}`);
    assert.ok(Date.now() - stopping < 4_000, 'within the shutdown deadline');
  } finally {
    socket.destroy();
    await (stopped ?? gw.stop());
  }
});
