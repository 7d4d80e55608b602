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
