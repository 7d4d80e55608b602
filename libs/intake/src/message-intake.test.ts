import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { startRedis, tempDir, waitUntil, type TempDir, type TestRedis } from '@faxgate/testkit';
import { createRedis, jobId, newFaxId, QueueSet } from '@faxgate/queue';
import { BlobStore, blobKeys, FaxRecords } from '@faxgate/store';
import { takeInMessage } from './message-intake.ts';

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('intake');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

const HEAD = 'From: Alice <alice@example.com>\r\nTo: Bob <12125550100@fax.test>\r\nSubject: hello\r\n\r\n';

// The record and the render job go to Redis back to back without waiting for each other's
// reply (issue 18); what keeps a render worker from seeing a job before its record is the order
// in which Redis runs them on the one connection: MONITOR reports commands as Redis runs them.
test('the fax record\'s MULTI runs in Redis before the render job\'s add; the message is on disk under its key', async (t) => {
  const prefix = `test-${randomUUID()}`;
  const conn = createRedis(redis.url, 'request');
  // A request connection has no offline queue: it must be ready before the first message.
  await waitUntil('the request connection to be ready', () => conn.status === 'ready', 10_000);
  const monitor = await createRedis(redis.url, 'background').monitor();
  t.after(() => {
    conn.disconnect();
    monitor.disconnect();
  });
  const records = new FaxRecords(conn, prefix);
  const queues = new QueueSet({ connection: conn, prefix, backoffMs: 1000 });
  const blobs = new BlobStore(dir.path);
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: unknown[]) => seen.push(args.map(String)));

  const faxIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const faxId = newFaxId();
    faxIds.push(faxId);
    const messageKey = blobKeys.message(faxId);
    const message = await blobs.writer(messageKey);
    await message.write(Buffer.from(`${HEAD}page ${i}\r\n`));
    await takeInMessage(
      { faxId, messageKey, message, head: Buffer.from(HEAD), sender: 'alice@example.com', recipients: [{ address: '12125550100@fax.test', number: '+12125550100', dialString: '12125550100' }], clientAddress: '127.0.0.1', senderTrust: 'unverified' },
      { records, queues },
    );
    assert.equal(await readFile(blobs.path(messageKey), 'utf8'), `${HEAD}page ${i}\r\n`);
  }

  for (const faxId of faxIds) {
    const job = jobId('render-fax', { faxId });
    // The add's script names the job id among its arguments (EVAL the first time, when Redis
    // answered EVALSHA with NOSCRIPT); the record's MULTI writes the fax's keys.
    const isScript = (a: string[]) => /^eval(sha)?$/i.test(a[0]);
    const isAdd = (a: string[]) => isScript(a) && a.some((x) => x.includes(job));
    await waitUntil(`MONITOR to report the add of ${job}`, () => seen.some(isAdd), 5_000);
    const add = seen.findIndex(isAdd);
    const write = seen.findIndex((a) => !isScript(a) && a.slice(1).some((x) => x.includes(faxId)));
    assert.ok(write >= 0, `no record write for ${faxId}`);
    const exec = seen.findIndex((a, i) => i > write && a[0].toLowerCase() === 'exec');
    assert.ok(exec >= 0 && exec < add, `the record's MULTI (EXEC at ${exec}) did not run before the add (at ${add}):\n${seen.map((a, i) => `${i} ${a.slice(0, 3).join(' ')}`).join('\n')}`);
    assert.equal((await records.getFax(faxId))?.state, 'queued');
    assert.ok(await queues.queue('render').getJob(job), `render job ${job} is not queued`);
  }
});
