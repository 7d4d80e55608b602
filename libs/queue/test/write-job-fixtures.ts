// Writes libs/queue/test/fixtures/jobs-v<N>.json: each sample job added through QueueSet and read
// back as BullMQ stored it. Run it before bumping JOB_SCHEMA_VERSION (to keep the outgoing
// version's payloads) and commit the file; job-schema-fixtures.test.ts reads every fixture.
//   node libs/queue/test/write-job-fixtures.ts
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis } from '@faxgate/testkit';
import { JOBS, JOB_SCHEMA_VERSION, QueueSet, createRedis } from '../src/index.ts';
import { JOB_SAMPLES } from './job-samples.ts';

const redis = await startRedis();
const c = createRedis(redis.url, 'background');
const queues = new QueueSet({ connection: c, prefix: 'fixture', backoffMs: 1000 });
try {
  const jobs: Array<{ name: string; data: unknown }> = [];
  for (const j of JOB_SAMPLES) {
    const pool = JOBS[j.name].queue === 'calls' ? 'sim' : undefined;
    const id = await queues.add(j.name, j.data as never, { pool });
    const stored = await queues.queue(JOBS[j.name].queue, pool).getJob(id);
    jobs.push({ name: j.name, data: stored?.data });
  }
  const file = join(import.meta.dirname, 'fixtures', `jobs-v${JOB_SCHEMA_VERSION}.json`);
  await writeFile(file, `${JSON.stringify({ version: JOB_SCHEMA_VERSION, jobs }, null, 1)}\n`);
  process.stdout.write(`wrote ${file}\n`);
} finally {
  await queues.close();
  c.disconnect();
  await redis.dispose();
}
