import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derived } from './derived.ts';

test('a derived value is built once and rebuilt only when an input is replaced', () => {
  const config = { deny: ['+1900*'], delay: 3 };
  let builds = 0;
  const rules = derived(() => [config.deny, config.delay], () => ({ n: ++builds, deny: config.deny }));
  assert.equal(rules().n, 1);
  assert.equal(rules().n, 1);
  config.deny = ['+1900*', '+1976*'];
  assert.deepEqual(rules(), { n: 2, deny: ['+1900*', '+1976*'] });
  config.delay = 3;
  assert.equal(rules().n, 2, 'the same value is no change');
  config.delay = 4;
  assert.equal(rules().n, 3);
});
