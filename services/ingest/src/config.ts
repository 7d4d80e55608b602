import { z, csv, duration, int, optionalString, port, bool, sharedFields } from '@faxgate/config';
import { authThrottleFields } from '@faxgate/runtime/config';
import { dialFields } from '@faxgate/phone/config';
import { destinationQuotaFields } from '@faxgate/quotas/config';
import { isClientNetworkEntry } from './sender-policy.ts';

export const ingestSchema = z.object({
  FAXGATE_SMTP_HOST: optionalString().describe('Address the SMTP server listens on. Default: 127.0.0.1 while only this host may send without AUTH (FAXGATE_SMTP_CLIENT_NETWORKS=host and no users file), else 0.0.0.0.'),
  FAXGATE_SMTP_PORT: port(2525).describe('SMTP port (2525 on a single machine; 25 behind a Kubernetes Service).'),
  FAXGATE_SMTP_HOSTNAME: optionalString().describe('Name the SMTP server gives in its greeting; defaults to the host name.'),
  ...sharedFields,
  ...dialFields,
  FAXGATE_SMTP_MAX_SIZE: int(26_214_400, 1024).describe('Largest message accepted, in bytes (advertised with SIZE; larger mail gets 552).'),
  FAXGATE_SMTP_MAX_CONNECTIONS: int(100, 1, 100_000).describe('Most SMTP sessions open at once; more get 421 (Postfix: default_process_limit).'),
  FAXGATE_SMTP_MAX_CONNECTIONS_PER_CLIENT: int(50, 1, 100_000).describe('Most SMTP sessions open at once from one client address; more get 421 (Postfix: smtpd_client_connection_count_limit). A local MTA relaying to faxgate counts as one client.'),
  FAXGATE_SMTP_DATA_TIMEOUT: duration('10m').describe('Longest time the DATA of one message may take to arrive (a client that drips bytes is cut off with 421).'),
  FAXGATE_SMTP_DUPLICATE_WINDOW: duration('7d').describe('How long a mail is remembered (its Message-ID, envelope sender and recipients) to recognise it when a client sends it again because it never read the 250 (RFC 1047): the copy gets 250 "duplicate" and is not faxed twice. 0 turns the check off. See docs/crash-safety.md.'),
  FAXGATE_SMTP_AUTH_MAX_TRIES: int(3, 1, 100).describe('Failed AUTH attempts on one SMTP connection before it is closed with 421.'),
  ...authThrottleFields,
  FAXGATE_SMTP_MAX_RECIPIENTS: int(100, 1, 10_000).describe('Most fax recipients in one message.'),
  FAXGATE_SMTP_TLS_CERT: optionalString().describe('PEM certificate file: when set with the key, STARTTLS is offered.'),
  FAXGATE_SMTP_TLS_KEY: optionalString().describe('PEM private key file for STARTTLS.'),
  FAXGATE_SMTP_USERS_FILE: optionalString().describe('File of `user:password` lines: when set, SMTP AUTH (PLAIN, LOGIN) is offered.'),
  FAXGATE_SMTP_REQUIRE_AUTH: bool(false).describe('Refuse senders that did not authenticate (needs FAXGATE_SMTP_USERS_FILE).'),
  FAXGATE_SMTP_CLIENT_NETWORKS: csv('host')
    .refine((list) => list.every(isClientNetworkEntry), 'addresses or CIDR networks (10.0.0.0/8, fd00::/8), `host` or `any`, comma list')
    .describe('Clients that may send faxes without authenticating: CIDR networks and addresses, `host` (this machine: 127.0.0.1, ::1 and its own interface addresses), or `any` (everyone: only behind a firewall that does the job). Comma list; empty means `host`. See docs/security.md.'),
  ...destinationQuotaFields,
  FAXGATE_NOTIFY_DELAY_WARNING: duration('4h').describe('When a sender asked for NOTIFY=DELAY (RFC 3461), a fax not delivered this long after it was accepted gets one "still trying" notice (Postfix delay_warning_time); 0 turns delay notices off. See docs/dsn.md.'),
  FAXGATE_SENDERS_ALLOW: csv('').describe('Senders allowed to fax (addresses or `@domain`); empty allows all not denied.'),
  FAXGATE_SENDERS_DENY: csv('').describe('Senders never allowed to fax (addresses or `@domain`).'),
});
export type IngestConfig = z.output<typeof ingestSchema>;
