import { z, optionalString, sharedFields } from '@faxgate/config';
import { dialFields } from '@faxgate/phone/config';
import { destinationQuotaFields } from '@faxgate/quotas/config';
import { directoryFields } from '@faxgate/directory/config';
import { authThrottleFields } from '@faxgate/runtime/config';
import { webhookFields } from '@faxgate/webhooks/config';

export const consoleSchema = z.object({
  ...directoryFields,
  // The API's faxes go through the same dial rules as mail (POST /api/v1/faxes refuses with 422).
  FAXGATE_FAX_DOMAINS: sharedFields.FAXGATE_FAX_DOMAINS,
  ...dialFields,
  // And the same toll-fraud brake (distinct numbers per sender and domain per hour).
  ...destinationQuotaFields,
  FAXGATE_CONSOLE_USER: z.string().default('admin').describe('User name for basic auth on the console (Bull Board and the REST API).'),
  FAXGATE_CONSOLE_PASSWORD: optionalString().describe('Password for basic auth on the console. Unset (and no token): a random one is generated and written to `$FAXGATE_DATA_DIR/console-password` (mode 600, kept across restarts); the start-up lines say where.'),
  FAXGATE_CONSOLE_TOKEN: optionalString().describe('Bearer token accepted by the console (for scripts and the CLI), in addition to basic auth.'),
  ...authThrottleFields,
  // Webhook URLs are checked when created (the notifier checks again at each delivery).
  ...webhookFields,
  FAXGATE_CONSOLE_POOLS: z.string().default('sim').describe('Line pools whose call queues the console shows (comma list); pools found in Redis are added.'),
});
export type ConsoleConfig = z.output<typeof consoleSchema>;
