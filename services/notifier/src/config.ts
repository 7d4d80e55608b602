import { z, bool, domainList, int, optionalString, sharedFields } from '@faxgate/config';
import { webhookFields } from '@faxgate/webhooks/config';

export const notifierSchema = z.object({
  FAXGATE_FAX_DOMAINS: sharedFields.FAXGATE_FAX_DOMAINS,
  FAXGATE_SMARTHOST: optionalString()
    .refine((v) => v === undefined || /^smtps?:\/\//.test(v), 'must be smtp://[user:pass@]host:port or smtps://...')
    .describe('Mail server for outgoing mail, `smtp://user:pass@host:port` (or smtps://). Unset: mails are written to $FAXGATE_DATA_DIR/outbox/ as .eml files.'),
  FAXGATE_MAIL_FROM: optionalString().describe('From address of result mails; defaults to faxgate@<first fax domain>.'),
  FAXGATE_RESULT_ATTACH_PDF: bool(true).describe('Attach a PDF copy of what was faxed to result mails.'),
  FAXGATE_RESULT_MAIL_ON_SUCCESS: bool(true).describe('Send a result mail when a fax was sent (failures are always reported).'),
  FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS: domainList('').describe('Sender domains (comma list) whose result mails carry the fax even when ingest could not verify the sender (no AUTH, not from a client network). See docs/security.md.'),
  FAXGATE_RESULT_MAIL_UNVERIFIED: z.enum(['notice', 'none']).default('notice').describe('What a sender ingest could not verify gets: `notice` (a plain result, without the fax, the subject or any text from the message) or `none` (no result mail).'),
  FAXGATE_POSTMASTER: optionalString()
    .refine((v) => v === undefined || /^[^@\s]+@[^@\s]+$/.test(v), 'an e-mail address')
    .describe('Admin address: mail to postmaster@ a fax domain (RFC 5321 §4.5.1) is forwarded there. Unset: kept as .eml files in $FAXGATE_DATA_DIR/postmaster/.'),
  FAXGATE_NOTIFY_BROADCAST: z.enum(['summary', 'each', 'both']).default('summary').describe('Result mails of a fax to two or more recipients: `summary` (one mail listing every outcome when the last recipient ends), `each` (one mail per recipient) or `both`. See docs/dsn.md.'),
  FAXGATE_REPORTING_MTA: optionalString().describe('Name of this gateway in the Reporting-MTA field of result mails (RFC 3464 delivery status notifications); defaults to the host name.'),
  FAXGATE_NOTIFY_CONCURRENCY: int(4, 1, 100).describe('Mails one notifier process sends at once.'),
  ...webhookFields,
});
export type NotifierConfig = z.output<typeof notifierSchema>;
