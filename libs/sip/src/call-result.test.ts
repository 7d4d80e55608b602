import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultOfStatus } from './call-result.ts';

// Issue 11's mapping of final responses onto line results, code by code (RFC 3261 §21).
test('final responses map to line results: busy 486/600, no answer 408/480, rejected 403/404/603, congestion 503; others fail', () => {
  const expected: Record<number, string> = {
    486: 'busy', 600: 'busy',
    408: 'no-answer', 480: 'no-answer',
    403: 'rejected', 404: 'rejected', 484: 'rejected', 603: 'rejected', 604: 'rejected',
    503: 'congestion', 502: 'congestion', 504: 'congestion',
    488: 'failed', 500: 'failed', 415: 'failed',
  };
  for (const [status, result] of Object.entries(expected)) assert.equal(resultOfStatus(Number(status)), result, `SIP ${status}`);
});
