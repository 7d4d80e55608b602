import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import { classifyHylafaxFailure, jobVerticalResolution } from './hylafax-line-driver.ts';

test("HylaFAX's reasons map onto faxgate's call results", () => {
  // Seen from hfaxd 6.0.7 when the called iaxmodem had no faxgetty to answer.
  assert.equal(classifyHylafaxFailure('No carrier detected; too many attempts to dial'), 'no-carrier');
  assert.equal(classifyHylafaxFailure('Busy signal detected; too many attempts to dial'), 'busy');
  assert.equal(classifyHylafaxFailure('No answer from remote; too many attempts to dial'), 'no-answer');
  assert.equal(classifyHylafaxFailure('Job rejected by DestControls'), 'rejected');
  assert.equal(classifyHylafaxFailure('No local dialtone'), 'failed');
  assert.equal(classifyHylafaxFailure(''), 'failed');
});

test('a job is sent at 98 lpi only when every page of its document is standard resolution', () => {
  const page = (yDpi: number) => ({ bitmap: createBitmap(1728, 20), xDpi: 204, yDpi });
  assert.equal(jobVerticalResolution(writeTiff([page(98), page(98)])), 98);
  assert.equal(jobVerticalResolution(writeTiff([page(196)])), 196);
  // A fine page sent at 98 would lose every other row.
  assert.equal(jobVerticalResolution(writeTiff([page(98), page(196)])), 196);
  assert.equal(jobVerticalResolution(writeTiff([page(391)])), 196);
});
