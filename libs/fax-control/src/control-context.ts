import type { RoleContext } from '@faxgate/runtime';
import type { RecipientRecord } from '@faxgate/store';

/**
 * What the control operations need of a role: records, producers and a Redis connection to
 * publish on. Inside an HTTP request pass the fail-fast ones (`requestQueues`, `requestRedis`).
 */
export type FaxControlContext = Pick<RoleContext, 'records' | 'queues' | 'redis' | 'base'>;

/** Who asked, as it goes into the record, the timeline and the result mail (`alice@example.com (console)`). */
export interface ControlActor {
  by: string;
}

/** Which recipients an operation applies to: one by its index, or every one of the fax. */
export interface ControlTarget extends ControlActor {
  recipient?: number;
  /** A sentence the operator gave, shown to the sender after "cancelled by ...". */
  reason?: string;
}

/** What an operation did to each recipient it looked at. */
export interface ControlResult {
  faxId: string;
  changed: number[];
  /** Recipients left as they were, with why (already sent, not held, ...). */
  unchanged: Array<{ recipient: number; state: string; why: string }>;
}

/** Why an operation could not run at all. */
export class FaxControlError extends Error {
  readonly code: 'FAX_NOT_FOUND' | 'RECIPIENT_NOT_FOUND' | 'NOTHING_TO_RESUBMIT';
  constructor(code: FaxControlError['code'], message: string) {
    super(message);
    this.name = 'FaxControlError';
    this.code = code;
  }
}

/** A recipient whose outcome is final: nothing dials it again unless it is resubmitted. */
export function isFinished(r: Pick<RecipientRecord, 'state' | 'cancelledAt'>): boolean {
  return r.state === 'sent' || r.state === 'failed' || r.state === 'cancelled' || r.cancelledAt !== undefined;
}
