import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createLogThrottle } from './log-throttle.ts';

test('a repeating problem is logged once per interval with the count of repeats, each key on its own', () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const t = createLogThrottle(log, 60_000);
  for (let i = 0; i < 500; i++) t('warn', 'redis', { err: 'ECONNREFUSED' }, 'worker error');
  t('warn', 'other', {}, 'line status not published');
  assert.equal(lines.length, 2);
  assert.equal(lines[0].msg, 'worker error');
  assert.equal(lines[1].msg, 'line status not published');
  const fast = createLogThrottle(log, 0);
  fast('warn', 'k', {}, 'a');
  fast('warn', 'k', {}, 'a');
  assert.equal(lines.length, 4, 'with no interval nothing is held back');
});
