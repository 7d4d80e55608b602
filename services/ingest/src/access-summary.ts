import { describeDialPolicy, dialRulesFromConfig } from '@faxgate/phone';
import { SenderPolicy } from './sender-policy.ts';
import { SmtpUsers } from './smtp-users.ts';
import type { IngestConfig } from './config.ts';

export interface AccessSummary {
  /** Where SMTP listens. */
  listenHost: string;
  /** Who may send faxes. */
  senders: string;
  /** Where faxes may be dialled. */
  dial: string;
}

/**
 * What the start-up log says about access, and where SMTP listens when FAXGATE_SMTP_HOST is not
 * set: loopback while only this machine may send without AUTH (the default), every address
 * once the admin opened it to networks or to authenticated users. The chart sets its own
 * (pods receive from other pods).
 */
export function accessSummary(config: IngestConfig): AccessSummary {
  const policy = new SenderPolicy({ allow: config.FAXGATE_SENDERS_ALLOW, deny: config.FAXGATE_SENDERS_DENY, networks: config.FAXGATE_SMTP_CLIENT_NETWORKS });
  const users = config.FAXGATE_SMTP_USERS_FILE ? SmtpUsers.fromFile(config.FAXGATE_SMTP_USERS_FILE).size : undefined;
  const listenHost = config.FAXGATE_SMTP_HOST ?? (policy.hostOnly && users === undefined ? '127.0.0.1' : '0.0.0.0');
  const who = policy.networkList.includes('any')
    ? 'ANY client (FAXGATE_SMTP_CLIENT_NETWORKS=any)'
    : policy.hostOnly
      ? `this host only (${policy.networkList.join(', ')})`
      : policy.networkList.join(', ');
  const auth = users === undefined ? 'AUTH off (no FAXGATE_SMTP_USERS_FILE)' : `AUTH: ${users} user(s)${config.FAXGATE_SMTP_REQUIRE_AUTH ? ', required of everyone' : ''}`;
  const lists = [config.FAXGATE_SENDERS_ALLOW.length ? `senders only ${config.FAXGATE_SENDERS_ALLOW.join(', ')}` : '', config.FAXGATE_SENDERS_DENY.length ? `never ${config.FAXGATE_SENDERS_DENY.join(', ')}` : ''].filter(Boolean).join('; ');
  const senders = `senders   without AUTH: ${config.FAXGATE_SMTP_REQUIRE_AUTH ? 'nobody' : who}; ${auth}${lists ? `; ${lists}` : ''}`;
  return { listenHost, senders, dial: describeDialPolicy(dialRulesFromConfig(config)) };
}
