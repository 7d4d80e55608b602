import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeUnknownVariable, unknownVariables } from './known-variables.ts';

test('a misspelt FAXGATE_ variable is reported with the known one it most likely means', () => {
  const env = { FAXGATE_SMTP_PROT: '25', FAXGATE_REDIS_URL: 'redis://x', FAXGATE_RETRY_BUSY_DELAI: '1m', FAXGATE_COMPLETELY_DIFFERENT_THING: '1', PATH: '/bin' };
  const u = unknownVariables(env);
  assert.deepEqual(u, [
    { name: 'FAXGATE_COMPLETELY_DIFFERENT_THING' },
    { name: 'FAXGATE_RETRY_BUSY_DELAI', closest: 'FAXGATE_RETRY_BUSY_DELAY' },
    { name: 'FAXGATE_SMTP_PROT', closest: 'FAXGATE_SMTP_PORT' },
  ]);
  assert.equal(describeUnknownVariable(u[2]), 'FAXGATE_SMTP_PROT is not a faxgate variable and is ignored (did you mean FAXGATE_SMTP_PORT?)');
  assert.deepEqual(unknownVariables({ FAXGATE_SMTP_PORT: '25' }), []);
});
