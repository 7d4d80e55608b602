import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinePool } from './line-pool.ts';

test('calls waiting for a line get the freed lines in the order they asked, each line to one call', async () => {
  const pool = new LinePool('p', 'n', 2);
  const a = await pool.acquire('a');
  const b = await pool.acquire('b');
  const got: string[] = [];
  const c = pool.acquire('c').then((l) => (got.push(`c:${l}`), l));
  const d = pool.acquire('d').then((l) => (got.push(`d:${l}`), l));
  assert.equal(pool.waiting, 2);
  pool.release(b);
  assert.equal(await c, b);
  assert.deepEqual(got, [`c:${b}`]);
  pool.release(a);
  assert.equal(await d, a);
  assert.deepEqual([...pool.busy.keys()].sort(), [a, b].sort());
  assert.equal(pool.busy.get(a)?.callId, 'd');
  assert.equal(pool.waiting, 0);
});

test('waiting calls get freed lines in the calls queue\'s order: a more urgent call fetched last goes first, equals first come first served', async () => {
  const pool = new LinePool('p', 'n', 1);
  const line = await pool.acquire('on-the-line');
  const got: string[] = [];
  const ask = (id: string, priority?: number) => pool.acquire(id, undefined, priority).then((l) => (got.push(id), pool.release(l)));
  // Ready calls of a broadcast (normal band, ranks 0..2), then an urgent one, another
  // sender's rank-0 call and a job without a priority (served before any prioritized one).
  const all = [ask('bulk-0', 100_001), ask('bulk-1', 100_002), ask('bulk-2', 100_003), ask('urgent', 1), ask('other-0', 100_001), ask('unprioritized')];
  assert.equal(pool.waiting, 6);
  pool.release(line);
  await Promise.all(all);
  assert.deepEqual(got, ['unprioritized', 'urgent', 'bulk-0', 'other-0', 'bulk-1', 'bulk-2']);
  assert.equal(pool.waiting, 0);
});

test('a call that stops waiting (the node drains) holds no line, and the next one gets it', async () => {
  const pool = new LinePool('p', 'n', 1);
  const only = await pool.acquire('a');
  const stop = new AbortController();
  const withdrawn = pool.acquire('b', stop.signal);
  const next = pool.acquire('c');
  stop.abort();
  await assert.rejects(withdrawn, /stopped while waiting/);
  assert.equal(pool.waiting, 1);
  pool.release(only);
  assert.equal(await next, only);
  assert.equal(pool.busy.get(only)?.callId, 'c');
  await assert.rejects(pool.acquire('d', stop.signal), /stopped while waiting/);
  assert.equal(pool.waiting, 0);
});

test('every line is listed whether free or busy, and take() refuses when none is free', async () => {
  const pool = new LinePool('p', 'n', 2);
  assert.deepEqual(pool.all, ['p/n/1', 'p/n/2']);
  pool.take('a');
  pool.take('b');
  assert.throws(() => pool.take('c'), /no free line/);
  assert.deepEqual(pool.all, ['p/n/1', 'p/n/2']);
});
