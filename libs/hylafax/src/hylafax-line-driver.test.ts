import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyHylafaxFailure } from './hylafax-line-driver.ts';

test("HylaFAX's reasons map onto faxgate's call results", () => {
  // Seen from hfaxd 6.0.7 when the called iaxmodem had no faxgetty to answer.
  assert.equal(classifyHylafaxFailure('No carrier detected; too many attempts to dial'), 'no-carrier');
  assert.equal(classifyHylafaxFailure('Busy signal detected; too many attempts to dial'), 'busy');
  assert.equal(classifyHylafaxFailure('No answer from remote; too many attempts to dial'), 'no-answer');
  assert.equal(classifyHylafaxFailure('Job rejected by DestControls'), 'rejected');
  assert.equal(classifyHylafaxFailure('No local dialtone'), 'failed');
  assert.equal(classifyHylafaxFailure(''), 'failed');
});
