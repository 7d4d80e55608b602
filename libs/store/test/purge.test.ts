import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { FaxRecords, InboundRecords } from '../src/index.ts';
import { SAMPLE, writeSample } from './schema-fixtures.ts';

let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('every timeline event is an audit line; a purge deletes every key of the fax and leaves its purged line', async (t) => {
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const prefix = `test-${randomUUID()}`;
  await writeSample(c, prefix);
  const records = new FaxRecords(c, prefix);
  const inbound = new InboundRecords(c, prefix);
  const before = await collect(records.audit.range(0, Date.now() + 60_000));
  assert.deepEqual(before.map((e) => `${e.subject} ${e.id} ${e.event}`), [`fax ${SAMPLE.faxId} accepted`, `fax ${SAMPLE.faxId} rendered`, `inbound ${SAMPLE.inboundId} offered`]);
  assert.match(before[0].detail ?? '', /from alice@example.com .*2 recipient\(s\)/);

  assert.equal(await records.inFlight(SAMPLE.faxId), true, 'a rendered fax is in flight');
  await records.updateFax(SAMPLE.faxId, { state: 'done' });
  await records.closeFax(SAMPLE.faxId);
  assert.equal(await records.inFlight(SAMPLE.faxId), false);
  assert.equal(await records.purge(SAMPLE.faxId, 'records and documents', 'cli'), true);
  assert.equal(await inbound.purge(SAMPLE.inboundId, 'records and document', 'retention'), true);
  assert.deepEqual(await c.keys(`${prefix}:rec*`), [], 'no record key is left');
  assert.equal(await records.view(SAMPLE.faxId), undefined);
  const after = await collect(records.audit.range(0, Date.now() + 60_000));
  assert.deepEqual(after.slice(3).map((e) => [e.subject, e.id, e.event, e.actor]), [['fax', SAMPLE.faxId, 'purged', 'cli'], ['inbound', SAMPLE.inboundId, 'purged', 'retention']]);
});
