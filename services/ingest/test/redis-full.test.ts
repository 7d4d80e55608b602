import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis, tempDir, smtpDialogue, testGatewayEnv, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles, redisMemory } from '@faxgate/runtime';
import { ingestRole } from '../src/index.ts';

// Issue 19: a Redis with maxmemory and noeviction that fills up refuses writes; ingest must then
// answer 451 (the client keeps the mail and tries again) rather than accept what it cannot
// queue, and /readyz and the metrics must say so before and when it happens.
const MAX = 8 * 1024 * 1024;
let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis({ extraArgs: ['--maxmemory', String(MAX)] });
  dir = await tempDir('faxgate-redis-full');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

const mail = ['EHLO client.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'DATA', 'From: Alice <alice@example.com>\r\nTo: 12125550100@fax.test\r\nSubject: hello\r\n\r\nBody text.\r\n.'];

test('a full Redis (maxmemory, noeviction) makes SMTP answer 451 and /readyz warn; freed memory brings 250 back', async () => {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test' });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  const gw = await runRoles([ingestRole], { env });
  const port = gw.instanceOf(ingestRole).smtpPort();
  const r = gw.ctx.redis;
  const junk: string[] = [];
  try {
    assert.equal((await smtpDialogue(port, mail))[5].code, 250, 'a mail is accepted while Redis has room');
    const ready = await (await fetch(`${gw.httpUrl}/readyz`)).json() as { status: string; warnings?: string[] };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.warnings, undefined, 'no warning with room to spare');

    // Fill Redis until it refuses a write, as months of records would.
    for (let n = 0; ; n++) {
      const key = `${env.FAXGATE_QUEUE_PREFIX}:junk:${n}`;
      try {
        await r.set(key, 'x'.repeat(64 * 1024));
        junk.push(key);
      } catch (err) {
        assert.match((err as Error).message, /OOM command not allowed/);
        break;
      }
      assert.ok(n < 1000, 'Redis never refused a write: is maxmemory set?');
    }
    // At the limit Redis hovers around it (a refused write frees its buffer, so the next small
    // write may pass). Full for good is past the limit: lower it under what is used, as a burst of
    // writes that got in, or an admin shrinking it, leaves it.
    const atLimit = await redisMemory(r);
    const fullMax = atLimit.usedBytes - 512 * 1024;
    await r.config('SET', 'maxmemory', String(fullMax));
    const before = await gw.ctx.records.recent(10);
    const full = await smtpDialogue(port, mail);
    assert.equal(full[5].code, 451, `DATA answered ${full[5].code} ${full[5].text}`);
    assert.deepEqual(await gw.ctx.records.recent(10), before, 'no fax was recorded');
    assert.deepEqual(await readdir(join(env.FAXGATE_DATA_DIR, 'messages')).then((f) => f.length), 1, 'the refused message was not kept');
    const res = await fetch(`${gw.httpUrl}/readyz`);
    assert.equal(res.status, 200, 'a full Redis keeps the pod ready (the console and workers must go on)');
    assert.match(((await res.json()) as { warnings: string[] }).warnings.join('\n'), /Redis is full .* of maxmemory \d+\.\d MiB.*451/);
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^faxgate_redis_memory_max_bytes ${fullMax}$`, 'm'));
    const used = Number(/^faxgate_redis_memory_used_bytes (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(used > fullMax, `used ${used} of ${fullMax}`);

    // Below full but above 90 %: ready, with the early warning.
    await r.config('SET', 'maxmemory', String(Math.round((await redisMemory(r)).usedBytes / 0.93)));
    const warn = await (await fetch(`${gw.httpUrl}/readyz`)).json() as { warnings: string[] };
    assert.match(warn.warnings.join('\n'), /Redis memory at 9\d % of maxmemory .* will be refused with SMTP 451 when it is full/);

    await r.config('SET', 'maxmemory', String(MAX));
    if (junk.length) await r.del(...junk.splice(0));
    assert.equal((await smtpDialogue(port, mail))[5].code, 250, 'accepted again once memory is freed');
  } finally {
    if (junk.length) await r.del(...junk).catch(() => {});
    await gw.stop();
  }
});
