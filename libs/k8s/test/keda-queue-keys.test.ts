import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '@faxgate/queue';
import { startRedis } from '@faxgate/testkit';
import { CHART, find, renderChart } from './chart-render.ts';

test('the KEDA triggers count the lists where BullMQ really keeps waiting jobs of faxgate\'s queues', async (t) => {
  const prefix = 'fgkeda';
  const ms = renderChart([join(CHART, 'ci/keda-scaled-values.yaml')], [`config.queuePrefix=${prefix}`]);
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const queues: Queue[] = [];
  t.after(async () => {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    await server.dispose();
  });
  const roles = { render: QUEUES.render, dispatch: QUEUES.dispatch, notifier: QUEUES.notify };
  for (const [role, queueName] of Object.entries(roles)) {
    const so = find(ms, 'ScaledObject', `fg-faxgate-${role}`);
    const listName: string = so.spec.triggers[0].metadata.listName;
    const q = new Queue(queueName, { connection: redis, prefix });
    queues.push(q);
    assert.equal(await redis.llen(listName), 0);
    await q.add('probe', { n: 1 });
    await q.add('probe', { n: 2 });
    assert.equal(await redis.llen(listName), 2, `${role}: ${listName} holds the waiting jobs of queue ${queueName}`);
    assert.equal(await q.getWaitingCount(), 2);
  }
});
