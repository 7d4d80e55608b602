// What a settings change would do to work already queued: the recipients not yet sent whose
// numbers the new dial rules refuse and the current ones allow (dispatch checks again before it
// dials, and fails them with the reason).
import { loadConfig, z } from '@faxgate/config';
import { dialFields } from '@faxgate/phone/config';
import { FaxRecords } from '@faxgate/store';
import type { Redis } from 'ioredis';

export interface WouldRefuse {
  faxId: string;
  recipient: number;
  number: string;
  reason: string;
}

const dialSchema = z.object(dialFields);

export async function queuedRefusedBy(redis: Redis, prefix: string, env: NodeJS.ProcessEnv, before: Record<string, string>, after: Record<string, string>): Promise<WouldRefuse[]> {
  // The number parser (libphonenumber's metadata) loads only for a dry run, not with every
  // importer of @faxgate/settings (the CLI's `faxgate config get`, issue 18).
  const { dialPolicyRefusal, dialRulesFromConfig } = await import('@faxgate/phone');
  const rules = (values: Record<string, string>) => dialRulesFromConfig(loadConfig('dial rules', dialSchema, { ...env, ...values }));
  const old = rules(before);
  const next = rules(after);
  const records = new FaxRecords(redis, prefix);
  const out: WouldRefuse[] = [];
  for (const faxId of await records.openFaxes(Date.now(), 10_000)) {
    const fax = await records.getFax(faxId);
    for (let i = 0; i < (fax?.recipientCount ?? 0); i++) {
      const r = await records.getRecipient(faxId, i);
      if (!r || ['sent', 'failed', 'cancelled'].includes(r.state)) continue;
      const reason = dialPolicyRefusal(r.number, next);
      if (reason && !dialPolicyRefusal(r.number, old)) out.push({ faxId, recipient: i, number: r.number, reason });
    }
  }
  return out;
}
