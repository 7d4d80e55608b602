import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HylafaxProtocolError } from './errors.ts';

test('4yz replies are transient, 5yz permanent, except hfaxd\'s EAGAIN on a job file faxq still holds', () => {
  assert.equal(new HylafaxProtocolError('JNEW', 450, 'busy').transient, true);
  assert.equal(new HylafaxProtocolError('JDELE 3', 504, 'Cannot delete job: Job is not done.').transient, false);
  // Seen from hfaxd 6.0.7 right after faxq moved a killed job to doneq.
  assert.equal(new HylafaxProtocolError('JDELE 3', 504, 'Cannot delete job: Job file lock failed: Resource temporarily unavailable.').transient, true);
});
