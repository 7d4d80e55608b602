import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { assertNothingFor, startRedis, waitUntil } from '@faxgate/testkit';
import { RedisLeaderElector, scheduleWhileLeader } from '../src/index.ts';

test('a scheduled task runs only on the leader, never overlapping, and moves to the standby when the leader dies', async (t) => {
  const server = await startRedis();
  const ca = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const cb = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const timing = { leaseDurationMs: 2000, renewIntervalMs: 500, retryIntervalMs: 100 };
  const a = new RedisLeaderElector({ redis: ca, key: 'sched:leader:poller', identity: 'a', timing });
  const b = new RedisLeaderElector({ redis: cb, key: 'sched:leader:poller', identity: 'b', timing });
  const log: Array<{ who: string; start: number; end: number; aborted: boolean }> = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const task = (who: string) => async (signal: AbortSignal) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const start = Date.now();
    // A poll that takes longer than the interval: the next one must wait for it.
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 120);
      signal.addEventListener('abort', () => { clearTimeout(timer); r(); }, { once: true });
    });
    concurrent--;
    log.push({ who, start, end: Date.now(), aborted: signal.aborted });
  };
  await a.start();
  await b.start();
  const sa = scheduleWhileLeader(a, 50, task('a'));
  const sb = scheduleWhileLeader(b, 50, task('b'));
  t.after(async () => {
    await sa.stop();
    await sb.stop();
    await Promise.allSettled([a.stop(), b.stop()]);
    ca.disconnect();
    cb.disconnect();
    await server.dispose();
  });

  await waitUntil('a few runs on a', () => sa.runs >= 3, 10_000);
  assert.equal(sb.runs, 0, 'the standby does not run the task');
  // a dies (its Redis connection drops): it stops running the task, b takes over.
  ca.disconnect();
  await waitUntil('b to run', () => sb.runs >= 2, 15_000);
  assert.equal(a.isLeader, false);
  const runsOfA = sa.runs;
  // 400 ms are eight of the 50 ms intervals.
  await assertNothingFor('a running the task after losing leadership', () => sa.runs !== runsOfA && `${sa.runs - runsOfA} more runs`, 400);
  assert.equal(maxConcurrent, 1, 'never two runs at once, on one process or across both');
  const lastA = Math.max(...log.filter((x) => x.who === 'a').map((x) => x.end));
  const firstB = Math.min(...log.filter((x) => x.who === 'b').map((x) => x.start));
  assert.ok(firstB >= lastA, 'b started after a\'s last run ended');
});
