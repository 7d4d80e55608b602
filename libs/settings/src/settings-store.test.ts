import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z, duration, csv } from '@faxgate/config';
import { startRedis, waitUntil, type TestRedis } from '@faxgate/testkit';
import { LiveSettings, SettingsConflict, SettingsStore, changeProblems, foldMapEntries, settingsFromYaml, settingsToYaml } from './index.ts';

let redis: TestRedis;
let client: Redis;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
after(async () => {
  client.disconnect();
  await redis.dispose();
});

const schema = z.object({
  FAXGATE_RETRY_BUSY_DELAY: duration('3m').describe('busy'),
  FAXGATE_DIAL_DENY: csv('').describe('deny'),
  FAXGATE_REDIS_URL: z.string().default('redis://x').describe('redis'),
});
const silent = { info() {}, error() {} };

test('changes are versioned with who, why and old → new; a change made against an old version is refused', async () => {
  const store = new SettingsStore(client, `t-${randomUUID()}`);
  assert.deepEqual(await store.current(), { version: 0, values: {} });
  const e1 = await store.change({ expected: 0, set: { FAXGATE_DIAL_DENY: '+1900*' }, by: 'ann', reason: 'fraud attempt' });
  assert.equal(e1.version, 1);
  assert.deepEqual(e1.changes, [{ name: 'FAXGATE_DIAL_DENY', new: '+1900*' }]);
  const e2 = await store.change({ expected: 1, set: { FAXGATE_DIAL_DENY: '+1900*,+1976*', FAXGATE_RETRY_BUSY_DELAY: '1m' }, by: 'bob' });
  assert.deepEqual(e2.changes, [
    { name: 'FAXGATE_DIAL_DENY', old: '+1900*', new: '+1900*,+1976*' },
    { name: 'FAXGATE_RETRY_BUSY_DELAY', new: '1m' },
  ]);
  // Two admins editing version 2 at once: one wins, the other is told to look again.
  const results = await Promise.allSettled([
    store.change({ expected: 2, set: { FAXGATE_RETRY_BUSY_DELAY: '2m' }, by: 'ann' }),
    store.change({ expected: 2, set: { FAXGATE_RETRY_BUSY_DELAY: '4m' }, by: 'bob' }),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(lost.reason instanceof SettingsConflict);
  assert.equal(lost.reason.current, 3);
  const e4 = await store.change({ expected: 3, set: { FAXGATE_DIAL_DENY: null }, by: 'ann', reason: 'back to the environment' });
  assert.deepEqual(e4.changes, [{ name: 'FAXGATE_DIAL_DENY', old: '+1900*,+1976*' }]);
  assert.deepEqual((await store.history()).map((h) => [h.version, h.by]), [[4, 'ann'], [3, results[0].status === 'fulfilled' ? 'ann' : 'bob'], [2, 'bob'], [1, 'ann']]);
  assert.equal((await store.version(1))?.reason, 'fraud attempt');
  assert.deepEqual((await store.version(1))?.values, { FAXGATE_DIAL_DENY: '+1900*' });
});

test('a value is checked with the schema that checks the environment; deployment settings are refused', () => {
  assert.deepEqual(changeProblems([schema], { FAXGATE_RETRY_BUSY_DELAY: '90s' }), []);
  const bad = changeProblems([schema], { FAXGATE_RETRY_BUSY_DELAY: 'soon', FAXGATE_REDIS_URL: 'redis://elsewhere', FAXGATE_NOPE: '1' });
  assert.equal(bad.length, 3);
  assert.match(bad[0], /FAXGATE_RETRY_BUSY_DELAY: .*\(got "soon"\)/);
  assert.match(bad[1], /FAXGATE_REDIS_URL is a deployment setting/);
  assert.match(bad[2], /FAXGATE_NOPE is not a faxgate setting/);
});

test('a process applies each new version to its live config within moments, and keeps the previous one when it cannot parse it', async () => {
  const prefix = `t-${randomUUID()}`;
  const config = { FAXGATE_RETRY_BUSY_DELAY: 180_000, FAXGATE_DIAL_DENY: [] as string[], FAXGATE_REDIS_URL: 'redis://x' };
  const errors: object[] = [];
  const live = new LiveSettings({ redis: client, prefix, env: { FAXGATE_RETRY_BUSY_DELAY: '3m' }, targets: [{ scope: 'test', schema, config }], log: { info() {}, error: (o) => errors.push(o) }, process: 'p1', node: 'n1', roles: ['dispatch'], checkEveryMs: 60_000 });
  const seen: number[] = [];
  live.onChange((v) => seen.push(v));
  await live.load();
  await live.start();
  try {
    const store = new SettingsStore(client, prefix);
    await store.change({ expected: 0, set: { FAXGATE_RETRY_BUSY_DELAY: '45s', FAXGATE_DIAL_DENY: '+1900*' }, by: 'ann' });
    // pub/sub brings it; the 60 s periodic check is far away.
    await waitUntil('version 1 applied', () => live.version === 1, 10_000);
    assert.equal(config.FAXGATE_RETRY_BUSY_DELAY, 45_000);
    assert.deepEqual(config.FAXGATE_DIAL_DENY, ['+1900*']);
    assert.deepEqual(seen, [1]);
    await waitUntil('the applied version reported', async () => (await store.applied()).find((a) => a.process === 'p1')?.version === 1, 10_000);
    // Written around the validation (another tool, an older faxgate): this process refuses it.
    await store.change({ expected: 1, set: { FAXGATE_RETRY_BUSY_DELAY: 'soon' }, by: 'script' });
    await waitUntil('the bad version to be refused', () => errors.length > 0, 10_000);
    assert.equal(live.version, 1);
    assert.equal(config.FAXGATE_RETRY_BUSY_DELAY, 45_000);
    // Back to the environment's value.
    await store.change({ expected: 2, set: { FAXGATE_RETRY_BUSY_DELAY: null }, by: 'ann' });
    await waitUntil('version 3 applied', () => live.version === 3, 10_000);
    assert.equal(config.FAXGATE_RETRY_BUSY_DELAY, 180_000);
    assert.equal(config.FAXGATE_REDIS_URL, 'redis://x', 'deployment settings are never touched');
    // A process started now comes up with the current version.
    const config2 = { FAXGATE_RETRY_BUSY_DELAY: 0, FAXGATE_DIAL_DENY: [] as string[], FAXGATE_REDIS_URL: '' };
    const late = new LiveSettings({ redis: client, prefix, env: {}, targets: [{ scope: 'test', schema, config: config2 }], log: silent, process: 'p2', node: 'n1', roles: ['ingest'] });
    await late.load();
    assert.equal(late.version, 3);
    assert.deepEqual(config2.FAXGATE_DIAL_DENY, ['+1900*']);
  } finally {
    await live.stop();
  }
});

test('YAML export and import', () => {
  const text = settingsToYaml({ version: 7, values: { FAXGATE_DIAL_DENY: '+1900*,+1976*' }, at: '2026-12-06T00:00:00Z', by: 'ann' });
  assert.match(text, /version 7/);
  assert.deepEqual(settingsFromYaml(text), { FAXGATE_DIAL_DENY: '+1900*,+1976*' });
  assert.deepEqual(settingsFromYaml('settings:\n  FAXGATE_DIAL_DENY: ["+1900*", "+1976*"]\n  FAXGATE_RETRY_MAX_TRIES: 4\n'), { FAXGATE_DIAL_DENY: '+1900*,+1976*', FAXGATE_RETRY_MAX_TRIES: '4' });
  assert.throws(() => settingsFromYaml('settings: [1, 2]'), /`settings:` map/);
});

test('a map setting (cover templates) is edited entry by entry and exported as a YAML map', () => {
  const current = (name: string) => (name === 'FAXGATE_COVER_TEMPLATES' ? '{"urgent":"<h1>U</h1>","old":"<p>o</p>"}' : undefined);
  const set = foldMapEntries({ 'FAXGATE_COVER_TEMPLATES.default': '<p>D</p>', 'FAXGATE_COVER_TEMPLATES.old': null, FAXGATE_DIAL_DENY: '+1900*' }, current);
  assert.deepEqual(set, { FAXGATE_DIAL_DENY: '+1900*', FAXGATE_COVER_TEMPLATES: '{"urgent":"<h1>U</h1>","default":"<p>D</p>"}' });
  const text = settingsToYaml({ version: 2, values: { FAXGATE_COVER_TEMPLATES: JSON.stringify({ urgent: '<h1>\n  URGENT\n</h1>\n' }) } });
  assert.match(text, /FAXGATE_COVER_TEMPLATES:\n {4}urgent: \|\n {6}<h1>\n {8}URGENT\n {6}<\/h1>\n/);
  assert.deepEqual(settingsFromYaml(text), { FAXGATE_COVER_TEMPLATES: JSON.stringify({ urgent: '<h1>\n  URGENT\n</h1>\n' }) });
});
