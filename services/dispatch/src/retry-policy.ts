import type { AttemptRecord } from '@faxgate/store';
import type { ErrorCode } from '@faxgate/errors';

export interface RetryPolicy {
  busyDelayMs: number;
  noAnswerDelayMs: number;
  failedDelayMs: number;
  maxDials: number;
  maxTries: number;
  resume: boolean;
}

export type NextStep =
  | { action: 'retry'; delayMs: number; fromPage: number; why: string }
  | { action: 'finish'; state: 'sent' | 'failed'; code?: ErrorCode; reason: string; pagesSent: number };

const CAUSE: Record<string, ErrorCode> = { busy: 'LINE_BUSY', 'no-answer': 'NO_ANSWER', 'no-carrier': 'NO_CARRIER', failed: 'CALL_FAILED', rejected: 'NUMBER_REJECTED' };

/** The last page the receiver confirmed over all attempts so far (pages are sent in order). */
export function pagesConfirmed(attempts: AttemptRecord[]): number {
  let last = 0;
  for (const a of attempts) if (a.pagesSent) last = Math.max(last, a.fromPage - 1 + a.pagesSent);
  return last;
}

/**
 * What happens after a call, from every attempt so far (HylaFAX's model): busy and no-answer
 * count against the dials, calls that reached a fax machine and failed against the tries; a
 * rejected number is never retried.
 */
export function decideNext(attempts: AttemptRecord[], pagesTotal: number, policy: RetryPolicy): NextStep {
  const last = attempts[attempts.length - 1];
  if (!last?.result) throw new Error('the last attempt has no result yet');
  const confirmed = Math.min(pagesConfirmed(attempts), pagesTotal);
  if (last.result === 'success') return { action: 'finish', state: 'sent', reason: 'sent', pagesSent: pagesTotal };
  // The receiver confirmed the last page (T.30 MCF after EOP) and the call failed after that,
  // in phase E: the far machine has printed everything, so another call would print pages twice.
  if (pagesTotal > 0 && confirmed >= pagesTotal) return { action: 'finish', state: 'sent', reason: 'sent (every page confirmed before the call ended)', pagesSent: pagesTotal };
  const code = CAUSE[last.result];
  const sentence = last.reason ?? last.result;
  if (last.result === 'rejected') return { action: 'finish', state: 'failed', code, reason: sentence, pagesSent: confirmed };
  const dials = attempts.length;
  // A call cut short because our own node stopped is not the far machine's fault: a dial, not a try.
  const tries = attempts.filter((a) => (a.result === 'no-carrier' || a.result === 'failed') && !a.interrupted).length;
  if (dials >= policy.maxDials) return { action: 'finish', state: 'failed', code, reason: `${sentence} (gave up after ${dials} calls)`, pagesSent: confirmed };
  if (tries >= policy.maxTries) return { action: 'finish', state: 'failed', code, reason: `${sentence} (gave up after ${tries} failed transmissions)`, pagesSent: confirmed };
  // An interrupted call is redialled at once: the line was fine, the gateway was not.
  const delayMs = last.interrupted ? 0 : last.result === 'busy' ? policy.busyDelayMs : last.result === 'no-answer' ? policy.noAnswerDelayMs : policy.failedDelayMs;
  // Without resume (FAXGATE_RETRY_RESUME=false) a retry sends the whole document again, but
  // never pages the receiver confirmed when our own node stopped mid-call.
  const fromPage = policy.resume || last.interrupted ? Math.min(confirmed + 1, pagesTotal) : 1;
  return { action: 'retry', delayMs, fromPage, why: sentence };
}
