import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { AuditLog, auditRange, formatAudit, type AuditEvent } from '../src/index.ts';

let redis: TestRedis;
before(async () => { redis = await startRedis(); });
after(async () => { await redis.dispose(); });

/** Redis's clock in ms: stream ids come from it, not from this process's clock. */
async function serverMs(c: ReturnType<typeof createRedis>): Promise<number> {
  const [s, us] = await c.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('a date range selects the lines written in it, in order, across batches; trimming drops the older ones', async (t) => {
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const log = new AuditLog(c, `test-${randomUUID()}`);
  for (let i = 0; i < 5; i++) await log.append({ at: new Date().toISOString(), subject: 'fax', id: `fxold${i}`, event: 'accepted' });
  const start = (await serverMs(c)) + 1;
  while ((await serverMs(c)) < start + 1) await new Promise((r) => setTimeout(r, 2));
  for (let i = 0; i < 7; i++) await log.append({ at: new Date().toISOString(), subject: 'fax', id: `fxnew${i}`, event: 'call success', recipient: i });
  const later = await collect(log.range(start, Date.now() + 60_000, 3));
  assert.deepEqual(later.map((e) => e.id), [0, 1, 2, 3, 4, 5, 6].map((i) => `fxnew${i}`));
  assert.deepEqual(later.map((e) => e.recipient), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal((await collect(log.range(0, start))).length, 5);
  assert.equal(await log.trimBefore(start), 5);
  assert.equal(await log.length(), 7);
});

test('CSV quotes what needs quoting and defuses spreadsheet formulas; JSON lines carry each event as one object', async () => {
  const events: AuditEvent[] = [
    { at: '2026-12-01T08:00:00.000Z', subject: 'fax', id: 'fxabc', event: 'result mail sent', recipient: 0, detail: 'to "Bob", via smarthost\nsecond line' },
    { at: '2026-12-01T08:00:01.000Z', subject: 'fax', id: 'fxabc', event: 'purged', detail: '=HYPERLINK("x")', actor: 'cli' },
  ];
  async function* gen() { yield* events; }
  const csv = (await collect(formatAudit(gen(), 'csv'))).join('');
  assert.equal(csv, 'at,subject,id,recipient,event,detail,actor\r\n'
    + '2026-12-01T08:00:00.000Z,fax,fxabc,0,result mail sent,"to ""Bob"", via smarthost\nsecond line",\r\n'
    + '2026-12-01T08:00:01.000Z,fax,fxabc,,purged,"\'=HYPERLINK(""x"")",cli\r\n');
  const lines = (await collect(formatAudit(gen(), 'jsonl'))).join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines, events);
});

test('ranges: a date covers its whole day, a time is exact, and a bad bound is named', () => {
  assert.deepEqual(auditRange('2026-12-01', '2026-12-01'), { fromMs: Date.parse('2026-12-01T00:00:00Z'), toMs: Date.parse('2026-12-02T00:00:00Z') });
  assert.deepEqual(auditRange('2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z'), { fromMs: Date.parse('2026-12-01T08:00:00Z'), toMs: Date.parse('2026-12-01T09:00:00Z') });
  assert.throws(() => auditRange('yesterday', undefined), /"from" must be a date/);
  assert.throws(() => auditRange('2026-12-02', '2026-12-01T00:00:00Z'), /range is empty/);
  assert.equal(auditRange(undefined, undefined, 1000).toMs, 1001);
});
