import { z, csv, int, optionalString, port, bool, sharedFields } from '@faxgate/config';

export const ingestSchema = z.object({
  FAXGATE_SMTP_HOST: z.string().default('0.0.0.0').describe('Address the SMTP server listens on.'),
  FAXGATE_SMTP_PORT: port(2525).describe('SMTP port (2525 on a single machine; 25 behind a Kubernetes Service).'),
  FAXGATE_SMTP_HOSTNAME: optionalString().describe('Name the SMTP server gives in its greeting; defaults to the host name.'),
  ...sharedFields,
  FAXGATE_DIAL_OUTSIDE_PREFIX: z.string().regex(/^[0-9*#,]*$/, 'digits, *, # and , only').default('').describe('Digits dialled first for an outside line (e.g. 9 behind a PBX).'),
  FAXGATE_DIAL_INTERNATIONAL_PREFIX: optionalString().describe('International access code; defaults to 011 in the NANP and 00 elsewhere.'),
  FAXGATE_DIAL_DENY: csv('').describe('Numbers never dialled: E.164 with `*` wildcards or /regex/, comma list (e.g. `+1900*`).'),
  FAXGATE_DIAL_ALLOW: csv('').describe('When set, only these numbers may be dialled (same forms as FAXGATE_DIAL_DENY).'),
  FAXGATE_SMTP_MAX_SIZE: int(26_214_400, 1024).describe('Largest message accepted, in bytes (advertised with SIZE; larger mail gets 552).'),
  FAXGATE_SMTP_MAX_RECIPIENTS: int(100, 1, 10_000).describe('Most fax recipients in one message.'),
  FAXGATE_SMTP_TLS_CERT: optionalString().describe('PEM certificate file: when set with the key, STARTTLS is offered.'),
  FAXGATE_SMTP_TLS_KEY: optionalString().describe('PEM private key file for STARTTLS.'),
  FAXGATE_SMTP_USERS_FILE: optionalString().describe('File of `user:password` lines: when set, SMTP AUTH (PLAIN, LOGIN) is offered.'),
  FAXGATE_SMTP_REQUIRE_AUTH: bool(false).describe('Refuse senders that did not authenticate (needs FAXGATE_SMTP_USERS_FILE).'),
  FAXGATE_SMTP_CLIENT_NETWORKS: csv('').describe('Client networks (CIDR, comma list) allowed to send faxes without authenticating; empty allows any.'),
  FAXGATE_SENDERS_ALLOW: csv('').describe('Senders allowed to fax (addresses or `@domain`); empty allows all not denied.'),
  FAXGATE_SENDERS_DENY: csv('').describe('Senders never allowed to fax (addresses or `@domain`).'),
});
export type IngestConfig = z.output<typeof ingestSchema>;
