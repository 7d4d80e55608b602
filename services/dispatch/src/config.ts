import { z, bool, duration, int } from '@faxgate/config';
import { dialFields } from '@faxgate/phone/config';
import { pageQuotaFields } from '@faxgate/quotas/config';
import { retentionFields } from '@faxgate/retention/config';
import { quietHoursFields } from '@faxgate/quiet-hours/config';
import { parseSenderPriorities } from './sender-priority.ts';

export const dispatchSchema = z.object({
  FAXGATE_DISPATCH_POOL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/).default('sim').describe('Line pool that transmissions go to (the node daemons serving it share its calls queue).'),
  FAXGATE_RETRY_BUSY_DELAY: duration('3m').describe('Wait before redialling a busy number (HylaFAX: 3 min).'),
  FAXGATE_RETRY_NO_ANSWER_DELAY: duration('5m').describe('Wait before redialling a number that did not answer (HylaFAX: 5 min).'),
  FAXGATE_RETRY_FAILED_DELAY: duration('5m').describe('Wait before retrying a call that reached a fax machine but failed.'),
  FAXGATE_RETRY_MAX_DIALS: int(12, 1, 1000).describe('Most calls placed for one recipient, whatever their outcome (HylaFAX MaxDials: 12).'),
  FAXGATE_RETRY_MAX_TRIES: int(3, 1, 1000).describe('Most calls that reached a fax machine and failed (HylaFAX MaxTries: 3).'),
  FAXGATE_RETRY_RESUME: bool(true).describe('After a call fails mid-fax, send only the pages the receiver has not confirmed.'),
  FAXGATE_RECONCILE_INTERVAL: duration('1m').describe('How often dispatch looks for faxes whose next job is gone (removed in Bull Board, lost) and re-queues it, or fails the recipient with a result mail when its job failed for good.'),
  FAXGATE_DISPATCH_CONCURRENCY: int(50, 1, 1000).describe('Scheduling decisions one dispatch process makes at once (each a few Redis round trips awaited in turn; 10 kept 1,000 simulated lines 20-40 % busy, docs/performance.md).'),
  FAXGATE_DISPATCH_KILL_AFTER: duration('3h').describe('Kill time of a fax without X-Fax-Kill-Time, counted from its send time: a recipient not sent by then is given up with a result mail saying so (HylaFAX killtime, 3 hours); 0 for none.'),
  FAXGATE_PRIORITY_SENDERS: z
    .string()
    .default('')
    .superRefine((v, c) => {
      const p = parseSenderPriorities(v);
      if (!p.ok) c.addIssue({ code: 'custom', message: p.problem });
    })
    .describe('Sender classes: the priority of a sender\'s faxes when the mail names none (X-Fax-Priority or a subject keyword win), e.g. `ceo@example.com=urgent,@newsletter.example.com=bulk` (classes urgent, high, normal, low, bulk; an address entry wins over its domain\'s). Empty: every sender normal. See docs/dispatch.md.'),
  FAXGATE_DESTINATION_MAX_FAILURES: int(5, 0, 1000).describe('Failed calls to one number within FAXGATE_DESTINATION_FAILURE_WINDOW after which it is not dialled for FAXGATE_DESTINATION_HOLD (busy is not a failure); 0 turns this off. A number answered without a fax tone is held at once.'),
  FAXGATE_DESTINATION_FAILURE_WINDOW: duration('2h').describe('The window in which FAXGATE_DESTINATION_MAX_FAILURES failed calls hold a number.'),
  FAXGATE_DESTINATION_HOLD: duration('1h').describe('How long a number that kept failing (or answered without a fax tone) is not dialled; faxes to it fail with the reason meanwhile.'),
  // Also read by the node, just before a call takes a line.
  ...quietHoursFields,
  // The dial policy again: a fax accepted under a looser configuration is checked before its first call.
  ...dialFields,
  // Pages per day per sender and domain (issue 14): the page count is known only after render.
  ...pageQuotaFields,
  // Retention: the elected dispatch process purges what is past it (docs/operations.md).
  ...retentionFields,
});
export type DispatchConfig = z.output<typeof dispatchSchema>;
