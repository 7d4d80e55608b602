import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOBS, JOB_SCHEMA_VERSION, parseJobData, type JobName } from '../src/index.ts';

// Jobs queued by the previous release are still in Redis when a new one starts (a rolling
// upgrade, or a restart with a backlog): each fixture holds every job name's payload as its
// release stored it, and this version's consumers must accept them all.
const dir = join(import.meta.dirname, 'fixtures');
const files = (await readdir(dir)).filter((f) => /^jobs-v\d+\.json$/.test(f)).sort();

test('there are job fixtures of the current version and the one before, with every job name', async () => {
  const versions = files.map((f) => Number(/v(\d+)/.exec(f)![1]));
  assert.ok(versions.includes(JOB_SCHEMA_VERSION), `no fixtures/jobs-v${JOB_SCHEMA_VERSION}.json: run node libs/queue/test/write-job-fixtures.ts`);
  assert.ok(versions.includes(JOB_SCHEMA_VERSION - 1), `no job fixture of version ${JOB_SCHEMA_VERSION - 1}`);
  const current = JSON.parse(await readFile(join(dir, `jobs-v${JOB_SCHEMA_VERSION}.json`), 'utf8')) as { jobs: Array<{ name: string }> };
  assert.deepEqual(current.jobs.map((j) => j.name).sort(), Object.keys(JOBS).sort(), 'every job name has a sample: add new ones to test/job-samples.ts and run node libs/queue/test/write-job-fixtures.ts');
});

for (const file of files) {
  test(`jobs queued by ${file} are accepted by this version's consumers`, async () => {
    const { version, jobs } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { version: number; jobs: Array<{ name: JobName; data: Record<string, unknown> }> };
    for (const j of jobs) {
      const parsed = parseJobData(j.name, j.data) as Record<string, unknown>;
      assert.equal(parsed.v ?? 0, version, `${j.name}: version`);
      const { v: _v, ...fields } = j.data;
      for (const [k, val] of Object.entries(fields)) assert.deepEqual(parsed[k], val, `${j.name}.${k}`);
    }
  });
}
