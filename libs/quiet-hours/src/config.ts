import { z } from '@faxgate/config';
import { parseQuietHours } from './quiet-hours-rules.ts';

/**
 * FAXGATE_QUIET_HOURS, read by two roles: dispatch, when it queues a call, and the node, once
 * more when a call is about to take a line (a call that waited for a line into its window, or
 * one re-queued by the reconciler, is not dialled in it).
 */
export const quietHoursFields = {
  FAXGATE_QUIET_HOURS: z
    .string()
    .default('')
    .superRefine((v, c) => {
      const p = parseQuietHours(v);
      if (!p.ok) c.addIssue({ code: 'custom', message: p.problem });
    })
    .describe('Times of day a destination is not dialled, in its own time zone: `DE=22:00-07:00,FR=21:00-08:00,*=22:00-07:00` (ISO country, `+prefix` or `*`; `@Area/Zone` after a window names the zone). A country with several zones is quiet while any of them is. A fax waits for the window to end (its kill time still applies). Empty: none. See docs/dispatch.md.'),
};
