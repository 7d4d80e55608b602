import { z } from '@faxgate/config';

/** Read by inbound (routing) and console (editing through the API): one definition for both. */
export const directoryFields = {
  FAXGATE_DIRECTORY: z.string().default('./directory.yaml').describe(
    'YAML file of users, DIDs, mailboxes, routes and the unaddressed mailbox for received faxes (docs/inbound.md). The console API writes it atomically; every inbound process reloads it on change. Roles on several machines must share it.',
  ),
};
