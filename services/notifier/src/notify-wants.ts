import type { RecipientRecord } from '@faxgate/store';
import { isEnded } from './dsn-status.ts';

/**
 * Whether the sender asked for a mail about this recipient's outcome. RFC 3461 §4.1: NEVER
 * means no DSN at all; otherwise SUCCESS and FAILURE each ask for theirs (DELAY is handled by
 * the delay notice). A recipient submitted without NOTIFY keeps faxgate's own defaults: a
 * failure is always reported, a success when FAXGATE_RESULT_MAIL_ON_SUCCESS is on.
 */
export function wantsOutcomeMail(r: Pick<RecipientRecord, 'state' | 'notify'>, successByDefault: boolean): boolean {
  if (!isEnded(r.state)) return false;
  if (!r.notify?.length) return r.state !== 'sent' || successByDefault;
  if (r.notify.includes('NEVER')) return false;
  return r.notify.includes(r.state === 'sent' ? 'SUCCESS' : 'FAILURE');
}

/** Whether the sender asked for a "still trying" notice (RFC 3461 §4.1 NOTIFY=DELAY). */
export function wantsDelayNotice(r: Pick<RecipientRecord, 'notify'>): boolean {
  return !!r.notify?.includes('DELAY');
}
