import { z, duration, int, optionalString, sharedFields } from '@faxgate/config';
import { directoryFields } from '@faxgate/directory/config';


export const inboundSchema = z.object({
  ...directoryFields,
  FAXGATE_FAX_DOMAINS: sharedFields.FAXGATE_FAX_DOMAINS,
  FAXGATE_DIRECTORY_POLL: duration('5s').describe('How often the inbound role also checks the directory file for changes, for file systems where change notification does not work.'),
  FAXGATE_INBOUND_UNADDRESSED: optionalString().refine((v) => v === undefined || /^[^\s@,]+@[^\s@,]+$/.test(v.trim()), 'a mail address').describe('Unaddressed mailbox while no directory file exists; defaults to postmaster@<first fax domain>.'),
  FAXGATE_INBOUND_MAIL_ATTEMPTS: int(12, 1, 100).describe('Tries to mail a received fax to its owner (with exponential backoff from FAXGATE_JOB_BACKOFF) before it goes to the unaddressed mailbox.'),
  FAXGATE_INBOUND_CONCURRENCY: int(4, 1, 100).describe('Received faxes one inbound process routes at once.'),
});
export type InboundConfig = z.output<typeof inboundSchema>;
