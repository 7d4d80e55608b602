import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { HylafaxClient, HylafaxConnectionError, pollReceivedFaxes, type FetchedFax, type HylafaxConnectOptions } from '../src/index.ts';
import { startHylafaxTestbed, type HylafaxTestbed } from './hylafax-testbed.ts';
import { makeTwoPageFax } from './test-fax.ts';

// The inbound poller's core against a real hfaxd. Received faxes are seeded into recvq the way
// faxgetty leaves them; fax-loop.test.ts covers a reception over a real call.
let bed: HylafaxTestbed;
let work: TempDir;
let tiff: string;
let tiffBytes: Buffer;
let admin: HylafaxConnectOptions;
let plain: HylafaxConnectOptions;

/** A queue that keeps one entry per key, as BullMQ does for a fixed job id. */
class KeyedQueue {
  readonly jobs = new Map<string, FetchedFax>();
  adds = 0;
  failFor = new Set<string>();
  deliver = async (fetched: FetchedFax, key: string) => {
    this.adds++;
    if (this.failFor.has(fetched.fax.file)) throw new Error('Redis is unavailable');
    if (!this.jobs.has(key)) this.jobs.set(key, fetched);
  };
}

async function recvq(): Promise<string[]> {
  const c = await HylafaxClient.connect(plain);
  const files = (await c.listReceived()).map((f) => f.file).sort();
  await c.quit();
  return files;
}

before(async () => {
  work = await tempDir('faxgate-hylafax-poll');
  bed = await startHylafaxTestbed({ modems: false });
  tiff = await makeTwoPageFax(work.path);
  tiffBytes = await readFile(tiff);
  plain = { host: bed.host, port: bed.port, user: bed.user, password: bed.password };
  admin = { ...plain, adminPassword: bed.adminPassword };
});

after(async () => {
  await bed?.stop();
  await work?.remove();
});

test('each received fax is delivered once with its bytes and metadata, then deleted; a second poll finds nothing', async () => {
  const files = [await bed.seedReceivedFax(tiff), await bed.seedReceivedFax(tiff)];
  const queue = new KeyedQueue();
  const c = await HylafaxClient.connect(admin);
  const report = await pollReceivedFaxes(c, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(report.delivered.sort(), files);
  assert.equal(report.failed.length, 0);
  assert.equal(queue.jobs.size, 2);
  for (const fetched of queue.jobs.values()) {
    assert.deepEqual(fetched.data, tiffBytes);
    assert.equal(fetched.fax.pages, 2);
    assert.equal(fetched.fax.sizeBytes, tiffBytes.length);
  }
  assert.deepEqual(await recvq(), []);
  const again = await pollReceivedFaxes(c, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(again, { listed: 0, receiving: 0, delivered: [], failed: [] });
  await c.quit();
});

test('a fax whose delivery fails stays on the server and the others go on', async () => {
  const bad = await bed.seedReceivedFax(tiff);
  const good = await bed.seedReceivedFax(tiff);
  const queue = new KeyedQueue();
  queue.failFor.add(bad);
  const c = await HylafaxClient.connect(admin);
  const report = await pollReceivedFaxes(c, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(report.delivered, [good]);
  assert.deepEqual(report.failed.map((f) => [f.file, f.error.message]), [[bad, 'Redis is unavailable']]);
  assert.deepEqual(await recvq(), [bad]);
  queue.failFor.clear();
  const retry = await pollReceivedFaxes(c, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(retry.delivered, [bad]);
  assert.deepEqual(await recvq(), []);
  await c.quit();
});

test('a fax polled again after it could not be removed gets the same key, so the queue holds it once', async () => {
  const file = await bed.seedReceivedFax(tiff);
  const queue = new KeyedQueue();
  // Without admin rights hfaxd refuses the DELE: delivered, but still in recvq, as after a
  // poller that died between queueing and removing.
  const weak = await HylafaxClient.connect(plain);
  const first = await pollReceivedFaxes(weak, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(first.delivered, []);
  assert.match(first.failed[0]?.error.message ?? '', /DELE .* 550 .*not permitted/);
  await weak.quit();
  assert.deepEqual(await recvq(), [file]);

  const restarted = await HylafaxClient.connect(admin);
  const second = await pollReceivedFaxes(restarted, { deliver: queue.deliver, processed: { action: 'move', directory: '/archive' } });
  assert.deepEqual(second.delivered, [file]);
  assert.equal(queue.adds, 2, 'delivered on both polls');
  assert.equal(queue.jobs.size, 1, 'one queued fax');
  assert.deepEqual(await recvq(), []);
  assert.deepEqual(await restarted.retrieve(`/archive/${file}`), tiffBytes, 'moved to the archive intact');
  await restarted.deleteFile(`/archive/${file}`);
  await restarted.quit();
});

test('a poll while the server is down fails with a connection error and loses nothing', async () => {
  const file = await bed.seedReceivedFax(tiff);
  const queue = new KeyedQueue();
  await bed.stopHfaxd();
  try {
    const err = await HylafaxClient.connect(admin).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxConnectionError, String(err));
  } finally {
    await bed.startHfaxd();
  }
  const c = await HylafaxClient.connect(admin);
  const report = await pollReceivedFaxes(c, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(report.delivered, [file]);
  assert.equal(queue.jobs.size, 1);
  await c.quit();
});

test('a connection lost in the middle of a poll ends it, and the faxes not yet removed stay', async () => {
  const files = [await bed.seedReceivedFax(tiff), await bed.seedReceivedFax(tiff)];
  const queue = new KeyedQueue();
  const c = await HylafaxClient.connect(admin);
  let stopped = false;
  const report = pollReceivedFaxes(c, {
    deliver: async (fetched, key) => {
      await queue.deliver(fetched, key);
      // The server goes away right after the first fax is queued, before it is deleted.
      if (!stopped) {
        stopped = true;
        await bed.stopHfaxd();
      }
    },
    processed: { action: 'delete' },
  });
  await assert.rejects(report, HylafaxConnectionError);
  await bed.startHfaxd();
  assert.deepEqual(await recvq(), files, 'nothing was removed');
  const c2 = await HylafaxClient.connect(admin);
  const retry = await pollReceivedFaxes(c2, { deliver: queue.deliver, processed: { action: 'delete' } });
  assert.deepEqual(retry.delivered.sort(), files);
  assert.equal(queue.jobs.size, 2, 'the fax queued before the outage is not queued twice');
  await c2.quit();
});
