import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharesOfCall, partOffsets } from './batch-shares.ts';

const parts = [{ pages: 2 }, { pages: 3 }, { pages: 1 }];

test('a call that confirmed every page: each part is sent with its own pages', () => {
  assert.deepEqual(sharesOfCall(parts, 6, true), [{ state: 'done', pagesSent: 2 }, { state: 'done', pagesSent: 3 }, { state: 'done', pagesSent: 1 }]);
});

test('a call that failed in the second part: the first is sent, the second has its own confirmed pages, the third was not reached', () => {
  assert.deepEqual(sharesOfCall(parts, 3, false), [{ state: 'done', pagesSent: 2 }, { state: 'ended-in', pagesSent: 1 }, { state: 'not-reached', pagesSent: 0 }]);
});

test('a call that failed right after the first part (in phase B of the second): the second ended with no page, the third was not reached', () => {
  assert.deepEqual(sharesOfCall(parts, 2, false), [{ state: 'done', pagesSent: 2 }, { state: 'ended-in', pagesSent: 0 }, { state: 'not-reached', pagesSent: 0 }]);
});

test('a call that failed after the last page was confirmed: every part is sent', () => {
  assert.deepEqual(sharesOfCall(parts, 6, false).map((s) => s.state), ['done', 'done', 'done']);
});

test('a call that confirmed nothing was a dial for every fax in it', () => {
  assert.deepEqual(sharesOfCall(parts, 0, false).map((s) => s.state), ['dialled', 'dialled', 'dialled']);
});

test('part offsets count the pages before each part', () => {
  assert.deepEqual(partOffsets(parts), [0, 2, 5]);
});
