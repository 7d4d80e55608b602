// Issue 19: `faxgate purge` and `faxgate audit export` against a real Redis and data directory,
// run as a user would (a child process with the gateway's variables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startRedis, tempDir, type TempDir, type TestRedis } from '@faxgate/testkit';
import { createRedis, newFaxId } from '@faxgate/queue';
import { BlobStore, FaxRecords, blobKeys } from '@faxgate/store';

const MAIN = join(import.meta.dirname, '../src/main.ts');
let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-purge-cli');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

function faxgate(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('faxgate purge refuses a fax in flight, purges a finished one with its files, and audit export shows the purge', async (t) => {
  const prefix = `test-${randomUUID()}`;
  const dataDir = join(dir.path, prefix);
  const env = { FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: prefix, FAXGATE_DATA_DIR: dataDir };
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const records = new FaxRecords(c, prefix);
  const blobs = new BlobStore(dataDir);
  const ids = [newFaxId(), newFaxId()];
  for (const id of ids) {
    await records.create(
      { id, state: 'rendered', createdAt: new Date().toISOString(), sender: 'alice@example.com', messageKey: blobKeys.message(id), messageBytes: 4, recipientCount: 1 },
      [{ index: 0, address: '12125550100@fax.localhost', number: '+12125550100', dialString: '12125550100', state: 'calling', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 }],
    );
    await blobs.put(blobKeys.message(id), 'mail');
    await blobs.put(blobKeys.recipientDocument(id, 0), 'tiff');
  }
  const [busy, done] = ids;
  await records.updateFax(done, { state: 'done' });
  await records.closeFax(done);

  const refused = await faxgate(['purge', busy], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`${busy}: not purged: fax ${busy} is still in flight \\(state rendered\\)`));
  assert.equal(await blobs.exists(blobKeys.message(busy)), true);

  const purged = await faxgate(['purge', done, '--reason', 'DSR-17'], env);
  assert.equal(purged.code, 0, purged.stderr);
  assert.equal(purged.stdout, `${done}: purged (messages/${done}.eml, faxes/${done}/, records)\n`);
  assert.equal(await blobs.exists(blobKeys.message(done)), false);
  assert.equal(await blobs.exists(blobKeys.recipientDocument(done, 0)), false);
  assert.equal(await records.getFax(done), undefined);

  const out = join(dir.path, `${prefix}.jsonl`);
  const exported = await faxgate(['audit', 'export', '--format', 'jsonl', '-o', out], env);
  assert.equal(exported.code, 0, exported.stderr);
  const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; event: string; detail?: string; actor?: string });
  const purge = lines.find((l) => l.id === done && l.event === 'purged');
  assert.ok(purge, `no purged line in ${JSON.stringify(lines)}`);
  assert.match(purge.detail ?? '', /deleted messages\/fx\w+\.eml, faxes\/fx\w+\/, records; DSR-17/);
  assert.match(purge.actor ?? '', /^cli:/);
  assert.deepEqual(lines.filter((l) => l.id === busy).map((l) => l.event), ['accepted']);

  const csv = await faxgate(['audit', 'export', '--from', new Date(Date.now() - 3_600_000).toISOString()], env);
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(csv.stdout.split('\r\n')[0], 'at,subject,id,recipient,event,detail,actor');
  assert.equal(csv.stdout.split('\r\n').filter((l) => l.includes(done)).length, 2, 'accepted and purged');

  const bad = await faxgate(['audit', 'export', '--from', 'monday'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"from" must be a date/);
});
