// Issue 19: a backup of a running gateway (a Redis RDB snapshot, then a copy of the data
// directory, as docs/operations.md says) restored into a fresh redis-server and data directory
// finishes every queued fax exactly once: one call reaching the simulated remote and one result
// mail per recipient, none twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { assertNothingFor, smtpDialogue, startRedis, startSmtpSink, tempDir, waitUntil } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { resolveRoles } from '../src/roles.ts';
import { startTestGateway } from './gateway-harness.ts';

// One recipient per fax: a fax to several gets one summary result mail (FAXGATE_NOTIFY_BROADCAST).
const RECIPIENTS: Array<[number, number]> = [[0, 0], [1, 0], [2, 0], [3, 0]];

/** BGSAVE and wait until the snapshot is on disk (rdb_bgsave_in_progress back to 0, status ok). */
async function snapshot(redis: Redis): Promise<string> {
  await redis.bgsave();
  const info = await waitUntil('the RDB snapshot (BGSAVE) to finish', async () => {
    const i = await redis.info('persistence');
    return /^rdb_bgsave_in_progress:0/m.test(i) && i;
  }, 30_000, 50);
  assert.match(info, /^rdb_last_bgsave_status:ok/m);
  const [, dir] = (await redis.config('GET', 'dir')) as string[];
  const [, file] = (await redis.config('GET', 'dbfilename')) as string[];
  return join(dir, file);
}

test('backup of a gateway with faxes waiting for busy lines, restored into a fresh Redis and data dir: every fax is sent and reported exactly once', async (t) => {
  // The original site: every number is busy, so each recipient is dialled once and waits for
  // its retry (a delayed job in Redis) when the backup is taken.
  const a = await startTestGateway({ FAXGATE_SIM_OUTCOMES: '+1212555*=busy', FAXGATE_RETRY_BUSY_DELAY: '10s', FAXGATE_NODE_LINES: '1' });
  const backup = await tempDir('faxgate-backup');
  // Undone last first: the gateway stops before its Redis and smarthost do.
  const cleanUp: Array<() => Promise<unknown> | void> = [() => backup.remove()];
  t.after(async () => {
    for (const f of cleanUp.reverse()) await f();
  });
  const faxIds: string[] = [];
  try {
    for (const to of [['12125550101@fax.test'], ['12125550102@fax.test'], ['12125550103@fax.test'], ['12125550104@fax.test']]) {
      const r = await smtpDialogue(a.smtpPort, ['EHLO client.test', 'MAIL FROM:<alice@example.com>', ...to.map((x) => `RCPT TO:<${x}>`), 'DATA', `From: Alice <alice@example.com>\r\nTo: ${to.join(', ')}\r\nSubject: contract ${faxIds.length}\r\n\r\nPlease sign.\r\n.`]);
      const last = r[r.length - 1];
      assert.equal(last.code, 250, last.text);
      faxIds.push(/queued as (fx[0-9a-z]+)/.exec(last.text)![1]);
    }
    await waitUntil('every recipient to be busy once and waiting for its retry', async () => {
      for (const [f, i] of RECIPIENTS) {
        const r = await a.gw.ctx.records.getRecipient(faxIds[f], i);
        if (r?.state !== 'retry-wait' || r.attempts !== 1) return false;
      }
      return true;
    }, 60_000);

    // The backup: Redis first, then the data directory (every file a record names was written
    // before the record, so a copy taken after the snapshot has them all).
    const rdb = await snapshot(a.gw.ctx.redis);
    await mkdir(join(backup.path, 'redis'));
    await copyFile(rdb, join(backup.path, 'redis', 'dump.rdb'));
    await cp(a.dataDir, join(backup.path, 'data'), { recursive: true });
    assert.equal(a.sink.mails.length, 0, 'no result mail before the backup: nothing was final');
  } finally {
    // The original site is lost.
    await a.dispose();
  }

  // The restore: a fresh redis-server loads the snapshot (AOF off while loading: with AOF on and
  // no AOF file Redis would start empty), then AOF is switched on; the data directory is copied.
  const restoredDir = join(backup.path, 'restored-redis');
  await mkdir(restoredDir);
  await copyFile(join(backup.path, 'redis', 'dump.rdb'), join(restoredDir, 'dump.rdb'));
  const redis = await startRedis({ extraArgs: ['--dir', restoredDir, '--appendonly', 'no'] });
  cleanUp.push(() => redis.dispose());
  const admin = createRedis(redis.url, 'background');
  cleanUp.push(() => admin.disconnect());
  await admin.config('SET', 'appendonly', 'yes');
  const dataDir = join(backup.path, 'data-restored');
  await cp(join(backup.path, 'data'), dataDir, { recursive: true });
  const sink = await startSmtpSink();
  cleanUp.push(() => sink.close());
  const env = { ...a.env, FAXGATE_REDIS_URL: redis.url, FAXGATE_DATA_DIR: dataDir, FAXGATE_SMARTHOST: sink.url, FAXGATE_SIM_OUTCOMES: '' };
  const b: RunningGateway = await runRoles(await resolveRoles(['all']), { env });
  cleanUp.push(() => b.stop());

  const key = (m: { parsed: { headers: Map<string, unknown> } }) => String(m.parsed.headers.get('x-faxgate-fax-id'));
  await waitUntil(`a result mail for each of the ${RECIPIENTS.length} recipients (have ${sink.mails.length})`, () => sink.mails.length >= RECIPIENTS.length, 90_000);
  for (const [f, i] of RECIPIENTS) {
    const r = await b.ctx.records.getRecipient(faxIds[f], i);
    assert.equal(r?.state, 'sent', `fax ${f} recipient ${i}: ${JSON.stringify(r)}`);
    assert.equal(r?.attempts, 2, 'the busy call before the backup and one call after the restore');
  }
  // Exactly once: nothing more arrives, and what arrived is one call and one mail per recipient.
  await assertNothingFor('a second result mail or call', async () => sink.mails.length > RECIPIENTS.length || (await readdir(join(dataDir, 'sim-received'))).length > RECIPIENTS.length, 5_000, 250);
  const received = (await readdir(join(dataDir, 'sim-received'))).sort();
  assert.deepEqual(received, RECIPIENTS.map(([f, i]) => `${faxIds[f]}-r${i}-a2.tif`).sort(), 'the remote received each recipient\'s fax once, on the call after the restore');
  const perFax = new Map<string, number>();
  for (const m of sink.mails) perFax.set(key(m), (perFax.get(key(m)) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(perFax), Object.fromEntries(faxIds.map((id) => [id, 1])));
  assert.equal(new Set(sink.mails.map((m) => m.parsed.messageId)).size, RECIPIENTS.length, 'four distinct result mails');
  for (const m of sink.mails) assert.match(m.parsed.subject ?? '', /sent/);
});
