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

// A rolling upgrade runs both releases at once: a pod of this release takes jobs a newer pod
// queued. The next version may only add optional fields (docs/operations.md), so its payloads,
// with a higher v and a field this release does not know, must still be read, the known fields
// unchanged; a payload that lacks a field this release needs fails naming the job and field.
test('jobs queued by the next version (higher v, an added field) are read by this version\'s consumers', async () => {
  const { jobs } = JSON.parse(await readFile(join(dir, `jobs-v${JOB_SCHEMA_VERSION}.json`), 'utf8')) as { jobs: Array<{ name: JobName; data: Record<string, unknown> }> };
  for (const j of jobs) {
    const next = { ...j.data, v: JOB_SCHEMA_VERSION + 1, addedInNextVersion: { note: 'unknown here' } };
    const parsed = parseJobData(j.name, next) as Record<string, unknown>;
    const { v: _v, ...fields } = j.data;
    for (const [k, val] of Object.entries(fields)) assert.deepEqual(parsed[k], val, `${j.name}.${k}`);
    const [required] = Object.keys(fields);
    if (required === undefined) continue;
    const { [required]: _gone, ...lacking } = next as Record<string, unknown>;
    assert.throws(() => parseJobData(j.name, lacking), new RegExp(`job "${j.name}" has a payload this version does not understand: ${required}`), `${j.name} without ${required}`);
  }
});
