// Writes libs/store/test/fixtures/records-v<N>.json from the current code: run it once when
// RECORD_SCHEMA_VERSION is bumped (before the bump, to keep the previous version's layout), and
// commit the file; schema-fixtures.test.ts then reads every fixture with the current code.
//   node libs/store/test/write-schema-fixtures.ts
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { RECORD_SCHEMA_VERSION } from '../src/index.ts';
import { dumpRecords, writeSample } from './schema-fixtures.ts';

const redis = await startRedis();
const c = createRedis(redis.url, 'background');
try {
  await writeSample(c, 'fixture');
  const file = join(import.meta.dirname, 'fixtures', `records-v${RECORD_SCHEMA_VERSION}.json`);
  await writeFile(file, `${JSON.stringify({ version: RECORD_SCHEMA_VERSION, records: await dumpRecords(c, 'fixture') }, null, 1)}\n`);
  process.stdout.write(`wrote ${file}\n`);
} finally {
  c.disconnect();
  await redis.dispose();
}
