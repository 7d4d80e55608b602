import { z, bool, int, optionalString, sharedFields } from '@faxgate/config';

export const notifierSchema = z.object({
  FAXGATE_FAX_DOMAINS: sharedFields.FAXGATE_FAX_DOMAINS,
  FAXGATE_SMARTHOST: optionalString()
    .refine((v) => v === undefined || /^smtps?:\/\//.test(v), 'must be smtp://[user:pass@]host:port or smtps://...')
    .describe('Mail server for outgoing mail, `smtp://user:pass@host:port` (or smtps://). Unset: mails are written to $FAXGATE_DATA_DIR/outbox/ as .eml files.'),
  FAXGATE_MAIL_FROM: optionalString().describe('From address of result mails; defaults to faxgate@<first fax domain>.'),
  FAXGATE_RESULT_ATTACH_PDF: bool(true).describe('Attach a PDF copy of what was faxed to result mails.'),
  FAXGATE_RESULT_MAIL_ON_SUCCESS: bool(true).describe('Send a result mail when a fax was sent (failures are always reported).'),
  FAXGATE_NOTIFY_CONCURRENCY: int(4, 1, 100).describe('Mails one notifier process sends at once.'),
});
export type NotifierConfig = z.output<typeof notifierSchema>;
