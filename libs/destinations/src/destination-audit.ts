import type { AuditLog } from '@faxgate/audit';
import type { AlsoInMulti } from './destination-store.ts';

export type DestinationEdit = 'blocked' | 'unblocked' | 'forgotten';

/**
 * The audit line of an admin's edit of destination memory (the API's or the CLI's): a system
 * line, since no fax is its subject, naming the number, the reason and who did it; written in
 * the MULTI of the change, so it exists exactly when the change does.
 */
export function auditDestinationEdit(audit: Pick<AuditLog, 'queue'>, edit: DestinationEdit, number: string, actor: string, why?: string): AlsoInMulti {
  return (m) => {
    audit.queue(m, { at: new Date().toISOString(), subject: 'system', id: '', event: `destination ${edit}`, detail: `${number}${why ? `: ${why}` : ''}`, actor });
  };
}
