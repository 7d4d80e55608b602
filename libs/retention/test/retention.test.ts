import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { startRedis, tempDir, waitUntil, type TestRedis } from '@faxgate/testkit';
import { createRedis, newFaxId, newInboundId } from '@faxgate/queue';
import { BlobStore, FaxRecords, InboundRecords, blobKeys, inboundBlobKeys, type FaxRecord } from '@faxgate/store';
import { ownRetention, purgeOne, sweepRetention, type PurgeDeps } from '../src/index.ts';

const DAY = 86_400_000;
let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function setUp(t: import('node:test').TestContext) {
  const c = createRedis(redis.url, 'background');
  const dir = await tempDir('faxgate-retention');
  t.after(async () => { c.disconnect(); await dir.remove(); });
  const prefix = `test-${randomUUID()}`;
  const deps: PurgeDeps = { records: new FaxRecords(c, prefix), inbound: new InboundRecords(c, prefix), blobs: new BlobStore(dir.path) };
  return { c, prefix, deps, dir: dir.path };
}

/** A fax created `ageMs` ago, with its message and one rendered page written then. */
async function fax(deps: PurgeDeps, now: number, ageMs: number, state: FaxRecord['state'], open: boolean): Promise<string> {
  const id = newFaxId(now - ageMs);
  await deps.records.create(
    { id, state, createdAt: new Date(now - ageMs).toISOString(), sender: 'alice@example.com', messageKey: blobKeys.message(id), messageBytes: 3, recipientCount: 1 },
    [{ index: 0, address: '12125550100@fax.localhost', number: '+12125550100', dialString: '12125550100', state: open ? 'retry-wait' : 'sent', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 }],
  );
  if (!open) await deps.records.closeFax(id);
  for (const key of [blobKeys.message(id), blobKeys.recipientDocument(id, 0)]) {
    await deps.blobs.put(key, 'x');
    const t = (now - ageMs) / 1000;
    await utimes(deps.blobs.path(key), t, t);
  }
  const t = (now - ageMs) / 1000;
  await utimes(deps.blobs.path(blobKeys.renderedFax(id)), t, t);
  return id;
}

async function received(deps: PurgeDeps, now: number, ageMs: number, state: 'delivered' | 'received'): Promise<string> {
  const id = newInboundId(now - ageMs);
  await deps.inbound.create({ id, state, createdAt: new Date(now - ageMs).toISOString(), did: '+12125550199', callingNumber: '+14155550123', pool: 'sim', pages: 1, badRows: 0, partial: false, durationMs: 1000, documentKey: inboundBlobKeys.document(id), deliveryCount: 0 });
  await deps.blobs.put(inboundBlobKeys.document(id), 'x');
  await utimes(deps.blobs.path(inboundBlobKeys.document(id)), (now - ageMs) / 1000, (now - ageMs) / 1000);
  return id;
}

const policy = { recordsMs: 400 * DAY, messagesMs: 30 * DAY, renderedMs: 30 * DAY, receivedMs: 30 * DAY };

test('documents go after their retention and records after theirs; a fax in flight keeps everything; each purge is on the timeline and in the audit trail', async (t) => {
  const { deps } = await setUp(t);
  const now = Date.now();
  const finished = await fax(deps, now, 40 * DAY, 'done', false);
  const inFlight = await fax(deps, now, 40 * DAY, 'rendered', true);
  const recent = await fax(deps, now, 2 * DAY, 'done', false);
  const delivered = await received(deps, now, 40 * DAY, 'delivered');
  const undelivered = await received(deps, now, 40 * DAY, 'received');
  const orphan = 'messages/fx00000000000orphan.eml';
  await deps.blobs.put(orphan, 'x');
  await utimes(deps.blobs.path(orphan), (now - 90 * DAY) / 1000, (now - 90 * DAY) / 1000);

  const first = await sweepRetention(deps, policy, now);
  assert.deepEqual(first.purged, { records: 0, 'received-records': 0, messages: 2, rendered: 1, received: 1, audit: 0 });
  assert.deepEqual(first.keptInFlight, { records: 0, 'received-records': 0, messages: 1, rendered: 1, received: 1, audit: 0 });
  assert.equal(await deps.blobs.exists(blobKeys.message(finished)), false);
  assert.equal(await deps.blobs.exists(blobKeys.recipientDocument(finished, 0)), false);
  assert.equal(await deps.blobs.exists(orphan), false);
  for (const id of [inFlight, recent]) assert.equal(await deps.blobs.exists(blobKeys.recipientDocument(id, 0)), true, `${id} keeps its pages`);
  assert.equal(await deps.blobs.exists(blobKeys.message(inFlight)), true);
  assert.equal(await deps.blobs.exists(inboundBlobKeys.document(delivered)), false);
  assert.equal(await deps.blobs.exists(inboundBlobKeys.document(undelivered)), true);
  const view = await deps.records.view(finished);
  assert.ok(view?.documentsPurgedAt, 'the record says its documents are gone');
  assert.deepEqual(view.timeline.map((e) => e.event), ['accepted', 'message purged', 'rendered fax purged']);
  assert.equal((await deps.inbound.get(delivered))?.documentPurgedAt !== undefined, true);

  // A year later the records of finished faxes go too, leaving their purged lines.
  const later = now + 400 * DAY;
  const second = await sweepRetention(deps, policy, later);
  assert.equal(second.purged.records, 2, 'finished and recent');
  assert.equal(second.purged['received-records'], 1);
  assert.equal(second.keptInFlight.records, 1);
  assert.equal(second.keptInFlight['received-records'], 1);
  assert.equal(await deps.records.getFax(finished), undefined);
  assert.ok(await deps.records.getFax(inFlight), 'the fax in flight keeps its record');
  assert.ok(await deps.inbound.get(undelivered));
  const audit = await collect(deps.records.audit.range(0, later + 1));
  const purged = audit.filter((e) => e.event === 'purged');
  assert.deepEqual(purged.map((e) => [e.id, e.actor]).sort(), [[delivered, 'retention'], [finished, 'retention'], [recent, 'retention']].sort());
  assert.equal(purged.find((e) => e.id === recent)!.detail, 'records older than 400d', 'its documents went first, in the same run');
  assert.deepEqual((await collect(deps.records.audit.range(0, later + 1))).filter((e) => e.id === recent).map((e) => e.event), ['accepted', 'message purged', 'rendered fax purged', 'purged']);
  // Lines older than the records' retention are trimmed by the next run (stream ids are Redis's clock).
  const third = await sweepRetention(deps, policy, Date.now() + 400 * DAY + 1000);
  assert.ok(third.purged.audit >= audit.length, `the old audit lines went (${third.purged.audit} of ${audit.length})`);
});

test('faxgate purge of one fax: refused while in flight, then everything goes and one purged line stays', async (t) => {
  const { deps } = await setUp(t);
  const now = Date.now();
  const id = await fax(deps, now, 0, 'rendered', true);
  const refused = await purgeOne(deps, id, 'cli');
  assert.equal(refused.purged, false);
  assert.match(refused.refused ?? '', /still in flight \(state rendered\)/);
  assert.equal(await deps.blobs.exists(blobKeys.message(id)), true);

  await deps.records.updateFax(id, { state: 'done' });
  // Ended but not yet closed by the reconciler: refused, saying why and when to try again.
  const early = await purgeOne(deps, id, 'cli');
  assert.equal(early.purged, false);
  assert.match(early.refused ?? '', /has ended \(state done\) but its last jobs .* not yet checked; dispatch closes it on its FAXGATE_RECONCILE_INTERVAL pass/);
  await deps.records.closeFax(id);
  const done = await purgeOne(deps, id, 'cli', 'data-subject request 42');
  assert.deepEqual(done, { id, purged: true, removed: [blobKeys.message(id), `faxes/${id}/`, 'records'] });
  assert.equal(await deps.records.view(id), undefined);
  assert.equal(await deps.blobs.exists(blobKeys.message(id)), false);
  const lines = (await collect(deps.records.audit.range(0, Date.now() + 1000))).filter((e) => e.id === id);
  assert.deepEqual(lines.map((e) => e.event), ['accepted', 'purged']);
  assert.match(lines[1].detail ?? '', /data-subject request 42/);
  assert.equal(lines[1].actor, 'cli');
  assert.match((await purgeOne(deps, id, 'cli')).refused ?? '', /no fax fx\w+ \(already purged/);
  assert.match((await purgeOne(deps, 'not-an-id', 'cli')).refused ?? '', /neither a fax id/);
});

test('with short retentions the elected leader alone purges on its schedule, and the metrics count it', async (t) => {
  const { c, prefix, deps } = await setUp(t);
  const now = Date.now();
  const old = await fax(deps, now, 10_000, 'done', false);
  const registries = [new Registry(), new Registry()];
  // What each owner logs: a run's line says what it purged (issue 19: 'logged and counted').
  const logged: Array<{ owner: number; fields: { purged?: Record<string, number>; policy?: string }; msg: string }> = [];
  const logOf = (owner: number) => ({ info: (fields: object, msg: string) => void logged.push({ owner, fields, msg }), warn() {} });
  const shortPolicy = { recordsMs: 0, messagesMs: 5_000, renderedMs: 5_000, receivedMs: 5_000 };
  const owners = registries.map((registry, i) => ownRetention({ deps, redis: c, queuePrefix: prefix, identity: `node-${i}`, policy: shortPolicy, intervalMs: 500, registry, log: logOf(i), timing: { leaseDurationMs: 3000, renewIntervalMs: 500, retryIntervalMs: 500 } }));
  t.after(async () => { for (const o of owners) await o.stop(); });
  for (const o of owners) await o.start();
  await waitUntil(`the leader's purge of ${old}'s message`, async () => !(await deps.blobs.exists(blobKeys.message(old))), 30_000);
  // A fax written now is purged once it is older than 5 s, by the next runs.
  const young = await fax(deps, Date.now(), 0, 'done', false);
  await waitUntil(`the purge of ${young}'s pages after 5 s`, async () => !(await deps.blobs.exists(blobKeys.recipientDocument(young, 0))), 30_000);
  const leaders = owners.filter((o) => o.elector.isLeader);
  assert.equal(leaders.length, 1, 'one leader');
  // A run counts what it purged when it ends, after the files are gone (the other kinds are
  // still being walked when the wait above sees the pages gone): wait for the count.
  const registry = registries[owners.indexOf(leaders[0])];
  let metrics = '';
  await waitUntil('the leader\'s metrics to count both purges', async () => {
    metrics = await registry.metrics();
    return /faxgate_retention_purged_total\{kind="messages"\} 2\n/.test(metrics) && /faxgate_retention_purged_total\{kind="rendered"\} 2\n/.test(metrics);
  }, 10_000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- leader's metrics ---\n${metrics}`);
  });
  assert.equal(owners.filter((o) => o.runs > 0).length, 1, `only the leader ran (runs: ${owners.map((o) => o.runs).join(', ')})`);
  assert.match(metrics, /faxgate_retention_runs_total\{outcome="ok"\} \d+/);
  const purgedLines = logged.filter((l) => l.msg === 'retention: purged what is past its retention');
  assert.ok(purgedLines.length >= 1 && purgedLines.every((l) => l.owner === owners.indexOf(leaders[0])), `the leader logs its purges: ${JSON.stringify(logged)}`);
  assert.equal(purgedLines.reduce((n, l) => n + (l.fields.purged?.messages ?? 0), 0), 2, 'the logged counts add up to what was purged');
  assert.match(purgedLines[0].fields.policy ?? '', /messages 5s/);
});
