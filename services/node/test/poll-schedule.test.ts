import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { QueueSet, createRedis } from '@faxgate/queue';
import { HylafaxClient } from '@faxgate/hylafax';
import { assertNothingFor, startRedis, tempDir, testGatewayEnv, waitUntil, type TempDir, type TestRedis } from '@faxgate/testkit';
import type { Redis } from 'ioredis';
import { nodeRole } from '../src/index.ts';
import { hylafaxDriverEnv, startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { makeTwoPageFax } from '../../../libs/hylafax/test/test-fax.ts';

// Several node daemons serve one HylaFAX pool: the elected leader owns the pool's BullMQ job
// scheduler, so one schedule exists, polls happen, and the schedule survives the leader.
// A real hfaxd (no modems) holds the received faxes; they are seeded into recvq as faxgetty
// leaves them.
const POOL = 'hfx';
let redis: TestRedis;
let bed: HylafaxTestbed;
let dir: TempDir;
let tiff: string;
let conn: Redis;
let queues: QueueSet;
const prefix = `test-${randomUUID()}`;
const nodes: RunningGateway[] = [];

before(async () => {
  redis = await startRedis();
  bed = await startHylafaxTestbed({ modems: false });
  dir = await tempDir('faxgate-poll-schedule');
  tiff = await makeTwoPageFax(dir.path);
  conn = createRedis(redis.url, 'background');
  queues = new QueueSet({ connection: conn, prefix, backoffMs: 100 });
});
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  await queues?.close();
  conn?.disconnect();
  await bed?.stop();
  await redis?.dispose();
  await dir?.remove();
});

async function startNode(id: string, interval: string): Promise<RunningGateway> {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path }, {
    FAXGATE_QUEUE_PREFIX: prefix,
    FAXGATE_NODE_ID: id,
    FAXGATE_NODE_POOL: POOL,
    ...hylafaxDriverEnv(bed),
    FAXGATE_HYLAFAX_POLL_INTERVAL: interval,
  });
  const gw = await runRoles([nodeRole], { env });
  nodes.push(gw);
  return gw;
}

const schedulers = () => queues.queue('calls', POOL).getJobSchedulers();

async function recvq(): Promise<string[]> {
  const c = await HylafaxClient.connect({ host: bed.host, port: bed.port, user: bed.user, password: bed.password });
  const files = (await c.listReceived()).map((f) => f.file);
  await c.quit();
  return files;
}

/** The routing jobs the pollers queued (no inbound worker runs here, so they stay). */
async function routed(): Promise<number> {
  const counts = await queues.queue('inbound').getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** The poll jobs that ran to their end, oldest first. */
async function polls(): Promise<Array<{ result: string; from: number; to: number }>> {
  const jobs = await queues.queue('calls', POOL).getJobs(['completed'], 0, -1);
  return jobs
    .filter((j) => j.name === 'poll-received')
    .map((j) => ({ result: String(j.returnvalue), from: j.processedOn ?? 0, to: j.finishedOn ?? 0 }))
    .sort((x, y) => x.from - y.from);
}

test('two nodes, one poll schedule owned by the leader; the other node takes it over when the leader stops', { timeout: 120_000 }, async () => {
  const a = await startNode('node-a', '400ms');
  await waitUntil('node-a wrote the schedule', async () => (await schedulers()).length === 1);
  const b = await startNode('node-b', '700ms');

  // Both run for longer than B's election retry (2 s): B never becomes leader nor writes the schedule.
  await assertNothingFor('a second job scheduler, or another interval than node-a\'s', async () => {
    const now = await schedulers();
    return (now.length !== 1 || now[0].every !== 400) && now.map((j) => j.every);
  }, 3_000, 200);
  const both = await schedulers();
  assert.equal(both.length, 1, 'one job scheduler for the pool');
  assert.equal(both[0].every, 400, "the leader's (node-a's) interval");
  assert.equal(both[0].template?.data?.pool, POOL);
  assert.ok((await polls()).filter((p) => p.result === 'polled').length >= 3, 'polls ran');

  // A received fax is fetched once, routed once and removed from recvq.
  await bed.seedReceivedFax(tiff);
  await waitUntil('the first fax routed and removed', async () => (await routed()) === 1 && (await recvq()).length === 0, 30_000, 200);

  // A server that hangs (SIGSTOP) for several intervals: the poll in progress waits for it, and
  // the polls queued meanwhile (taken by the other node) are skipped, never run beside it.
  const before = (await polls()).length;
  bed.freezeHfaxd();
  try {
    // Frozen until a poll queued meanwhile has been skipped: the hang spans at least one interval.
    await waitUntil('a poll queued while hfaxd hangs to be skipped', async () => (await polls()).slice(before).some((p) => p.result.startsWith('skipped')), 30_000, 200);
  } finally {
    bed.thawHfaxd();
  }
  await waitUntil('polls again after the server came back', async () => (await polls()).slice(before).filter((p) => p.result === 'polled').length >= 2, 30_000, 200);
  const ran = await polls();
  assert.ok(ran.slice(before).some((p) => p.result.startsWith('skipped')), `a poll was skipped while one hung: ${JSON.stringify(ran.slice(before))}`);
  const polled = ran.filter((p) => p.result === 'polled');
  for (let i = 1; i < polled.length; i++) assert.ok(polled[i - 1].to <= polled[i].from, `polls ${i - 1} and ${i} overlap: ${JSON.stringify(polled.slice(i - 1, i + 1))}`);

  await a.stop();
  nodes.splice(nodes.indexOf(a), 1);
  await waitUntil('node-b took over the schedule with its interval', async () => (await schedulers())[0]?.every === 700, 20_000, 200);
  assert.equal((await schedulers()).length, 1);

  await bed.seedReceivedFax(tiff);
  await waitUntil('the second fax routed by node-b alone', async () => (await routed()) === 2 && (await recvq()).length === 0, 30_000, 200);

  // A node configured with polling off removes the schedule once it leads.
  await startNode('node-c', '0');
  await b.stop();
  nodes.splice(nodes.indexOf(b), 1);
  await waitUntil('node-c removed the schedule', async () => (await schedulers()).length === 0, 20_000, 200);
  assert.equal(await routed(), 2, 'no fax routed twice');
});
