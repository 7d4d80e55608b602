// Issue 19: a backup of a running gateway (a Redis RDB snapshot, then a copy of the data
// directory, as docs/operations.md says) restored into a fresh redis-server and data directory
// finishes every queued fax exactly once: one call reaching the simulated remote and one result
// mail per recipient, none twice. Two moments of a fax's life are backed up: waiting for a retry
// after a busy call (rendered, a delayed call job), and accepted but not yet rendered (only the
// stored message in messages/ and a render job).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { assertNothingFor, makePdf, smtpDialogue, startRedis, startSmtpSink, tempDir, waitUntil, type SmtpSink } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { resolveRoles } from '../src/roles.ts';
import { startTestGateway, type TestGateway } from './gateway-harness.ts';

type CleanUp = Array<() => Promise<unknown> | void>;

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

/**
 * The backup, as docs/operations.md says: Redis first, then the data directory (every file a
 * record names was written before the record, so a copy taken after the snapshot has them all).
 */
async function backUp(site: TestGateway, backupDir: string): Promise<void> {
  const rdb = await snapshot(site.gw.ctx.redis);
  await mkdir(join(backupDir, 'redis'));
  await copyFile(rdb, join(backupDir, 'redis', 'dump.rdb'));
  await cp(site.dataDir, join(backupDir, 'data'), { recursive: true });
}

/**
 * The restore: a fresh redis-server loads the snapshot (AOF off while loading: with AOF on and
 * no AOF file Redis would start empty), then AOF is switched on; the data directory is copied;
 * the whole gateway starts on both, with a new smarthost.
 */
async function restore(backupDir: string, siteEnv: Record<string, string>, cleanUp: CleanUp, extraEnv: Record<string, string> = {}): Promise<{ gw: RunningGateway; sink: SmtpSink; dataDir: string }> {
  const restoredDir = join(backupDir, 'restored-redis');
  await mkdir(restoredDir);
  await copyFile(join(backupDir, 'redis', 'dump.rdb'), join(restoredDir, 'dump.rdb'));
  const redis = await startRedis({ extraArgs: ['--dir', restoredDir, '--appendonly', 'no'] });
  cleanUp.push(() => redis.dispose());
  const admin = createRedis(redis.url, 'background');
  cleanUp.push(() => admin.disconnect());
  await admin.config('SET', 'appendonly', 'yes');
  const dataDir = join(backupDir, 'data-restored');
  await cp(join(backupDir, 'data'), dataDir, { recursive: true });
  const sink = await startSmtpSink();
  cleanUp.push(() => sink.close());
  const env = { ...siteEnv, FAXGATE_REDIS_URL: redis.url, FAXGATE_DATA_DIR: dataDir, FAXGATE_SMARTHOST: sink.url, ...extraEnv };
  const gw = await runRoles(await resolveRoles(['all']), { env });
  cleanUp.push(() => gw.stop());
  return { gw, sink, dataDir };
}

/**
 * Each fax (one recipient each) sent and reported exactly once: its one recipient sent on call
 * `attempt`, one result mail per fax, and nothing more within 5 s.
 */
async function assertEachSentOnce(gw: RunningGateway, sink: SmtpSink, dataDir: string, faxIds: string[], attempt: number): Promise<void> {
  await waitUntil(`a result mail for each of the ${faxIds.length} faxes (have ${sink.mails.length})`, () => sink.mails.length >= faxIds.length, 90_000);
  for (const id of faxIds) {
    const r = await gw.ctx.records.getRecipient(id, 0);
    assert.equal(r?.state, 'sent', `fax ${id}: ${JSON.stringify(r)}`);
    assert.equal(r?.attempts, attempt, `fax ${id}: calls before and after the restore`);
  }
  await assertNothingFor('a second result mail or call', async () => sink.mails.length > faxIds.length || (await readdir(join(dataDir, 'sim-received'))).length > faxIds.length, 5_000, 250);
  const received = (await readdir(join(dataDir, 'sim-received'))).sort();
  assert.deepEqual(received, faxIds.map((id) => `${id}-r0-a${attempt}.tif`).sort(), 'the remote received each fax once, on the call after the restore');
  const key = (m: { parsed: { headers: Map<string, unknown> } }) => String(m.parsed.headers.get('x-faxgate-fax-id'));
  const perFax = new Map<string, number>();
  for (const m of sink.mails) perFax.set(key(m), (perFax.get(key(m)) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(perFax), Object.fromEntries(faxIds.map((id) => [id, 1])));
  assert.equal(new Set(sink.mails.map((m) => m.parsed.messageId)).size, faxIds.length, 'distinct result mails');
  for (const m of sink.mails) assert.match(m.parsed.subject ?? '', /sent/);
}

/** A site and a backup directory, undone last first (the gateway stops before its Redis and smarthost do). */
async function site(t: { after: (fn: () => Promise<void>) => void }, env: Record<string, string>, roles?: string[]) {
  const a = await startTestGateway(env, roles);
  const backup = await tempDir('faxgate-backup');
  const cleanUp: CleanUp = [() => backup.remove()];
  t.after(async () => {
    for (const f of cleanUp.reverse()) await f();
  });
  return { a, backupDir: backup.path, cleanUp };
}

// Two gateways one after the other, a 10 s retry wait and four calls: 106 s at load 22 on this
// machine, so the default 120 s would fail it for the machine's load, not for the gateway.
test('backup of a gateway with faxes waiting for busy lines, restored into a fresh Redis and data dir: every fax is sent and reported exactly once', { timeout: 240_000 }, async (t) => {
  // The original site: every number is busy, so each fax is dialled once and waits for its
  // retry (a delayed job in Redis) when the backup is taken.
  const { a, backupDir, cleanUp } = await site(t, { FAXGATE_SIM_OUTCOMES: '+1212555*=busy', FAXGATE_RETRY_BUSY_DELAY: '10s', FAXGATE_NODE_LINES: '1' });
  const faxIds: string[] = [];
  try {
    // One recipient per fax: a fax to several gets one summary result mail (FAXGATE_NOTIFY_BROADCAST).
    for (const to of ['12125550101@fax.test', '12125550102@fax.test', '12125550103@fax.test', '12125550104@fax.test']) {
      const r = await smtpDialogue(a.smtpPort, ['EHLO client.test', 'MAIL FROM:<alice@example.com>', `RCPT TO:<${to}>`, 'DATA', `From: Alice <alice@example.com>\r\nTo: ${to}\r\nSubject: contract ${faxIds.length}\r\n\r\nPlease sign.\r\n.`]);
      const last = r[r.length - 1];
      assert.equal(last.code, 250, last.text);
      faxIds.push(/queued as (fx[0-9a-z]+)/.exec(last.text)![1]);
    }
    await waitUntil('every fax to be busy once and waiting for its retry', async () => {
      for (const id of faxIds) {
        const r = await a.gw.ctx.records.getRecipient(id, 0);
        if (r?.state !== 'retry-wait' || r.attempts !== 1) return false;
      }
      return true;
    }, 60_000);
    await backUp(a, backupDir);
    assert.equal(a.sink.mails.length, 0, 'no result mail before the backup: nothing was final');
  } finally {
    // The original site is lost.
    await a.dispose();
  }

  const b = await restore(backupDir, a.env, cleanUp, { FAXGATE_SIM_OUTCOMES: '' });
  await assertEachSentOnce(b.gw, b.sink, b.dataDir, faxIds, 2);
});

test('backup of a gateway whose faxes are accepted but not yet rendered: after the restore each is rendered from the backed-up message, sent and reported once', async (t) => {
  // The original site runs ingest alone (its render pods are down, say): each fax is a record,
  // a render job and its message in messages/, nothing more, when the backup is taken.
  const { a, backupDir, cleanUp } = await site(t, { FAXGATE_NODE_LINES: '1' }, ['ingest']);
  const faxIds: string[] = [];
  try {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: a.smtpPort, ignoreTLS: true });
    for (const [n, pages] of [[1, 2], [2, 3]] as const) {
      const pdf = await makePdf(a.dir.path, pages, `Order ${n}`);
      const info = await transport.sendMail({ from: 'Alice <alice@example.com>', to: `1212555020${n}@fax.test`, subject: `order ${n}`, text: 'Attached.', attachments: [{ filename: `order-${n}.pdf`, content: pdf }] });
      faxIds.push(/queued as (fx[0-9a-z]+)/.exec(info.response)![1]);
    }
    for (const id of faxIds) assert.equal((await a.gw.ctx.records.getFax(id))?.state, 'queued', `fax ${id} waits for its render`);
    await backUp(a, backupDir);
  } finally {
    await a.dispose();
  }

  const b = await restore(backupDir, a.env, cleanUp);
  await assertEachSentOnce(b.gw, b.sink, b.dataDir, faxIds, 1);
  // Rendered from the restored messages: each PDF's pages are on the fax.
  for (const [i, id] of faxIds.entries()) assert.equal((await b.gw.ctx.records.getFax(id))?.documentPages, [2, 3][i], `fax ${id}: the PDF's pages`);
});
