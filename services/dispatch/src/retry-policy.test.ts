import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallResult } from '@faxgate/line-driver';
import type { AttemptRecord } from '@faxgate/store';
import { decideNext, type RetryPolicy } from './retry-policy.ts';

const policy: RetryPolicy = { busyDelayMs: 180_000, noAnswerDelayMs: 300_000, failedDelayMs: 60_000, maxDials: 12, maxTries: 3, resume: true };
const att = (results: Array<[CallResult, number?, number?]>): AttemptRecord[] => results.map(([result, pagesSent = 0, fromPage = 1], i) => ({ attempt: i + 1, startedAt: '', result, pagesSent, fromPage }));

test('busy is retried after the busy delay, success finishes', () => {
  assert.deepEqual(decideNext(att([['busy']]), 3, policy), { action: 'retry', delayMs: 180_000, fromPage: 1, why: 'busy' });
  assert.equal(decideNext(att([['busy'], ['success', 3]]), 3, policy).action, 'finish');
});

test('a rejected number is never retried', () => {
  const d = decideNext(att([['rejected']]), 2, policy);
  assert.equal(d.action, 'finish');
  if (d.action === 'finish') assert.equal(d.code, 'NUMBER_REJECTED');
});

test('dials and tries are limited separately', () => {
  const busy12 = att(Array.from({ length: 12 }, () => ['busy'] as [CallResult]));
  assert.equal(decideNext(busy12, 1, policy).action, 'finish');
  assert.equal(decideNext(busy12.slice(0, 11), 1, policy).action, 'retry');
  const d = decideNext(att([['no-carrier', 1], ['no-carrier', 0, 2], ['failed', 0, 2]]), 3, policy);
  assert.equal(d.action, 'finish');
  if (d.action === 'finish') {
    assert.equal(d.pagesSent, 1);
    assert.match(d.reason, /3 failed transmissions/);
  }
});

test('a call lost mid-fax resumes at the first unconfirmed page', () => {
  const d = decideNext(att([['no-carrier', 2]]), 5, policy);
  assert.deepEqual(d, { action: 'retry', delayMs: 60_000, fromPage: 3, why: 'no-carrier' });
  assert.equal((decideNext(att([['no-carrier', 2]]), 5, { ...policy, resume: false }) as { fromPage: number }).fromPage, 1);
});

test('a call that failed after the receiver confirmed the last page is sent, not retried', () => {
  const d = decideNext(att([['no-carrier', 3]]), 3, policy);
  assert.equal(d.action, 'finish');
  if (d.action === 'finish') {
    assert.equal(d.state, 'sent');
    assert.equal(d.pagesSent, 3);
  }
  const resumed = decideNext(att([['no-carrier', 1], ['failed', 2, 2]]), 3, policy);
  assert.equal(resumed.action === 'finish' && resumed.state, 'sent', 'pages 1 and 2-3 over two calls: all confirmed');
  assert.equal(decideNext(att([['no-carrier', 2]]), 3, policy).action, 'retry', 'one page still unconfirmed');
});

test('an attempt interrupted by our own node resumes at once after its confirmed pages and is not a failed transmission', () => {
  const interrupted = (pagesSent: number, fromPage = 1): AttemptRecord => ({ attempt: 1, startedAt: '', result: 'no-carrier', pagesSent, fromPage, interrupted: true });
  assert.deepEqual(decideNext([interrupted(2)], 5, policy), { action: 'retry', delayMs: 0, fromPage: 3, why: 'no-carrier' });
  assert.equal((decideNext([interrupted(2)], 5, { ...policy, resume: false }) as { fromPage: number }).fromPage, 3, 'confirmed pages are never sent again');
  const four = Array.from({ length: 4 }, (_, i) => ({ ...interrupted(0), attempt: i + 1 }));
  assert.equal(decideNext(four, 5, policy).action, 'retry', 'interruptions do not use up FAXGATE_RETRY_MAX_TRIES');
});
