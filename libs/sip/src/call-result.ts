// How a SIP final response ends a fax call attempt (RFC 3261 §21 response classes), in the
// terms a line driver reports.

export type SipCallResult = 'completed' | 'busy' | 'no-answer' | 'rejected' | 'congestion' | 'failed' | 'cancelled';

/**
 * Busy: 486 Busy Here and 600 Busy Everywhere (§21.4.24, §21.6.1). No answer: 408 Request
 * Timeout and 480 Temporarily Unavailable (§21.4.11, §21.4.18), also a ring timeout. Rejected:
 * 403, 404, 484, 603, 604 (the number is wrong or refuses: redialling will not help).
 * Congestion: 503 Service Unavailable (§21.5.4) and 502/504, to be retried later. Everything
 * else is a failure of this attempt.
 */
export function resultOfStatus(status: number): SipCallResult {
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480) return 'no-answer';
  if (status === 403 || status === 404 || status === 484 || status === 603 || status === 604) return 'rejected';
  if (status === 503 || status === 502 || status === 504) return 'congestion';
  return 'failed';
}
