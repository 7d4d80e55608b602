import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { loadConfig, ConfigError, baseSchema, duration, csv, bool, parseDuration, describeSchema } from './index.ts';

test('defaults apply when nothing is set', () => {
  const c = loadConfig('base', baseSchema, {});
  assert.equal(c.FAXGATE_REDIS_URL, 'redis://127.0.0.1:6379');
  assert.equal(c.FAXGATE_HTTP_PORT, 8080);
  assert.equal(c.FAXGATE_SHUTDOWN_TIMEOUT, 25_000);
});

test('every bad variable is named in one error', () => {
  try {
    loadConfig('base', baseSchema, { FAXGATE_HTTP_PORT: 'eighty', FAXGATE_REDIS_URL: 'http://x', FAXGATE_SHUTDOWN_TIMEOUT: 'soon' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 3);
    assert.match(err.message, /FAXGATE_HTTP_PORT/);
    assert.match(err.message, /FAXGATE_REDIS_URL/);
    assert.match(err.message, /FAXGATE_SHUTDOWN_TIMEOUT.*"soon" is not a duration/);
  }
});

test('durations, lists and booleans parse', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('3m'), 180_000);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('x'), undefined);
  const s = z.object({ A: duration('1s'), B: csv('a, b,,c'), C: bool(false) });
  assert.deepEqual(loadConfig('t', s, { C: 'yes' }), { A: 1000, B: ['a', 'b', 'c'], C: true });
});

test('describeSchema reports defaults and descriptions', () => {
  const rows = describeSchema('base', baseSchema);
  const port = rows.find((r) => r.name === 'FAXGATE_HTTP_PORT');
  assert.equal(port?.default, '8080');
  assert.match(port?.description ?? '', /health/);
});
