import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { isFinalAttempt } from './job-attempts.ts';

test('the last of a job\'s tries is final, earlier ones are not, and an UnrecoverableError always is', () => {
  assert.equal(isFinalAttempt({ attemptsMade: 0, opts: { attempts: 3 } }), false);
  assert.equal(isFinalAttempt({ attemptsMade: 1, opts: { attempts: 3 } }), false);
  assert.equal(isFinalAttempt({ attemptsMade: 2, opts: { attempts: 3 } }), true);
  assert.equal(isFinalAttempt({ attemptsMade: 0, opts: {} }), true, 'a job without retries has one try');
  assert.equal(isFinalAttempt({ attemptsMade: 0, opts: { attempts: 3 } }, new UnrecoverableError('no')), true);
  assert.equal(isFinalAttempt({ attemptsMade: 0, opts: { attempts: 3 } }, new Error('transient')), false);
});
