import type { JobData, JobName } from './job-types.ts';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Job ids are deterministic, so that a producer retrying an add (or a restarted worker
 * re-running a step) cannot create a second fax; they never contain ':' and are never digits
 * only (BullMQ's rules for custom ids).
 */
export function jobId<N extends JobName>(name: N, data: JobData<N>): string {
  const d = data as Record<string, unknown>;
  switch (name) {
    case 'render-fax':
      return `render-${d.faxId}`;
    case 'schedule-recipient':
      return `schedule-${d.faxId}-r${d.recipient}`;
    case 'call-outcome':
      return `outcome-${d.faxId}-r${d.recipient}-a${d.attempt}`;
    case 'place-call':
      return `call-${d.faxId}-r${d.recipient}-a${d.attempt}`;
    case 'result-mail':
      return `result-${d.faxId}-r${d.recipient}`;
    case 'summary-mail':
      return `summary-${d.faxId}-${d.key}`;
    case 'delay-notice':
      return `delay-${d.faxId}`;
    case 'receive-call':
      return `receive-${d.inboundId}`;
    case 'poll-received':
      // Also the id of the job scheduler that queues the polls: one scheduler per pool.
      return `poll-received-${d.pool}`;
    case 'route-inbound':
      return `route-${d.inboundId}`;
    case 'inbound-mail':
      return `inmail-${d.inboundId}-d${d.delivery}`;
    case 'postmaster-mail':
      return `postmaster-${d.postmasterId}`;
    case 'webhook-delivery':
      // One delivery per event and webhook, however often the audit tailer reads the event.
      return `webhook-${d.webhookId}-${d.eventId}`;
    default:
      throw new Error(`no job id rule for "${name}"`);
  }
}

/** A new id for a mail to postmaster: like a fax id, with its own prefix. */
export function newPostmasterId(now = Date.now()): string {
  return `pm${newFaxId(now).slice(2)}`;
}

/** A new fax id: time-ordered, lower-case, safe in file names, Redis keys and job ids. */
export function newFaxId(now = Date.now()): string {
  return `fx${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

/** A new id for a received fax: like fax ids, time-ordered and safe everywhere, prefixed `in`. */
export function newInboundId(now = Date.now()): string {
  return `in${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

/**
 * The id of a received fax that comes from somewhere with its own stable name (a HylaFAX recvq
 * file, a call id): the same source always gives the same id, so a fax handed over twice is
 * recorded, routed and mailed once.
 */
export function inboundIdForKey(key: string): string {
  return `in${createHash('sha256').update(key).digest('hex').slice(0, 30)}`;
}
