import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { FaxRecords, InboundRecords, RECORD_SCHEMA_VERSION } from '../src/index.ts';
import { SAMPLE, loadRecords, type RedisDump } from './schema-fixtures.ts';

// Each fixture was written by the release of its version (write-schema-fixtures.ts); the current
// code must read every one of them as an upgrade would find them in Redis.
const dir = join(import.meta.dirname, 'fixtures');
const files = (await readdir(dir)).filter((f) => /^records-v\d+\.json$/.test(f)).sort();

let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

test('there is a fixture of the current record version and of the one before it', () => {
  const versions = files.map((f) => Number(/v(\d+)/.exec(f)![1]));
  assert.ok(versions.includes(RECORD_SCHEMA_VERSION), `no fixtures/records-v${RECORD_SCHEMA_VERSION}.json: run node libs/store/test/write-schema-fixtures.ts`);
  assert.ok(versions.includes(RECORD_SCHEMA_VERSION - 1), `no fixture of version ${RECORD_SCHEMA_VERSION - 1}`);
});

for (const file of files) {
  test(`records written by version ${file} are read by this version`, async (t) => {
    const { version, records: dump } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { version: number; records: RedisDump };
    const c = createRedis(redis.url, 'background');
    t.after(() => c.disconnect());
    const prefix = `test-${randomUUID()}`;
    await loadRecords(c, prefix, dump);
    const records = new FaxRecords(c, prefix);
    const fax = await records.view(SAMPLE.faxId);
    assert.ok(fax, 'the fax record is read');
    assert.equal(fax.v ?? 0, version);
    assert.equal(fax.state, 'rendered');
    assert.equal(fax.sender, 'alice@example.com');
    assert.equal(fax.documentPages, 2);
    assert.deepEqual(fax.recipients.map((r) => [r.state, r.attempts, r.pagesSent, r.attemptsDetail.map((a) => a.result)]), [['sent', 1, 3, ['success']], ['retry-wait', 1, 0, ['busy']]]);
    assert.equal(fax.recipients[1].nextAttemptAt, '2026-12-01T08:03:31.000Z');
    assert.deepEqual(fax.timeline.map((e) => e.event), ['accepted', 'rendered']);
    assert.deepEqual(await records.recent(), [SAMPLE.faxId]);
    // The flow goes on from where the old release left it: claims and counters still work.
    assert.equal(await records.claimAttemptHandling(SAMPLE.faxId, 0, 1, 'now'), false, 'a handled attempt stays handled');
    assert.equal(await records.incrementRecipient(SAMPLE.faxId, 1, 'attempts'), 2);
    assert.equal(await records.markRecipientFinished(SAMPLE.faxId, 1), 2);

    const inbound = new InboundRecords(c, prefix);
    const rx = await inbound.view(SAMPLE.inboundId);
    assert.ok(rx, 'the received fax record is read');
    assert.equal(rx.state, 'delivered');
    assert.equal(rx.route?.user, 'bob');
    assert.deepEqual(rx.deliveries.map((d) => [d.state, d.to]), [['sent', ['bob@example.com']]]);
    assert.equal(await inbound.inFlight(SAMPLE.inboundId), false);
  });
}

// A rolling upgrade: records the next version writes (a higher v, a field this release does not
// know, on the fax, a recipient and an attempt) are read by this release as they are, and the
// flow goes on from them.
test('records written by the next version (higher v, an added field) are read by this version', async (t) => {
  const { records: dump } = JSON.parse(await readFile(join(dir, `records-v${RECORD_SCHEMA_VERSION}.json`), 'utf8')) as { records: RedisDump };
  const next: RedisDump = {};
  for (const [k, e] of Object.entries(dump)) {
    next[k] = e.type === 'hash' ? { type: 'hash', value: { ...e.value, ...('v' in e.value ? { v: String(RECORD_SCHEMA_VERSION + 1) } : {}), addedInNextVersion: JSON.stringify({ note: 'unknown here' }) } } : e;
  }
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const prefix = `test-${randomUUID()}`;
  await loadRecords(c, prefix, next);
  const records = new FaxRecords(c, prefix);
  const fax = await records.view(SAMPLE.faxId);
  assert.ok(fax, 'the fax record is read');
  assert.equal(fax.v, RECORD_SCHEMA_VERSION + 1);
  assert.equal(fax.state, 'rendered');
  assert.equal(fax.documentPages, 2);
  assert.deepEqual(fax.recipients.map((r) => [r.state, r.attempts, r.pagesSent, r.attemptsDetail.map((a) => a.result)]), [['sent', 1, 3, ['success']], ['retry-wait', 1, 0, ['busy']]]);
  assert.equal(await records.incrementRecipient(SAMPLE.faxId, 1, 'attempts'), 2);
  assert.equal(await records.markRecipientFinished(SAMPLE.faxId, 1), 2);
  const rx = await new InboundRecords(c, prefix).view(SAMPLE.inboundId);
  assert.equal(rx?.state, 'delivered');
  assert.deepEqual(rx?.deliveries.map((d) => [d.state, d.to]), [['sent', ['bob@example.com']]]);
});
