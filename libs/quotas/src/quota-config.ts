import { z, int } from '@faxgate/config';
import type { QuotaLimits } from './quota-limits.ts';

/** FAXGATE_QUOTA_*_DESTINATIONS_PER_HOUR: read by ingest, which refuses at RCPT. */
export const destinationQuotaFields = {
  FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR: int(0, 0, 1_000_000).describe('Distinct fax numbers one sender may fax within any hour (toll-fraud brake); a new number past it is refused at RCPT with 452 4.5.3 (the sender\'s server tries it again later). 0: no limit. See docs/security.md.'),
  FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR: int(0, 0, 1_000_000).describe('Distinct fax numbers all senders of one mail domain together may fax within any hour; refused at RCPT like the per-sender limit. 0: no limit.'),
};

/** FAXGATE_QUOTA_*_PAGES_PER_DAY: read by the role that checks pages before the first call (dispatch). */
export const pageQuotaFields = {
  FAXGATE_QUOTA_SENDER_PAGES_PER_DAY: int(0, 0, 100_000_000).describe('Pages one sender may fax per day (UTC); a fax that would pass it fails before its first call, and the result mail says why. 0: no limit.'),
  FAXGATE_QUOTA_DOMAIN_PAGES_PER_DAY: int(0, 0, 100_000_000).describe('Pages all senders of one mail domain together may fax per day (UTC). 0: no limit.'),
};

type Fields<T> = { [K in keyof T]: T[K] extends z.ZodType ? z.output<T[K]> : never };

/** The limits a role's parsed configuration sets (fields a role does not read count as no limit). */
export function quotaLimitsFromConfig(config: Partial<Fields<typeof destinationQuotaFields> & Fields<typeof pageQuotaFields>>): QuotaLimits {
  return {
    senderDestinationsPerHour: config.FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR ?? 0,
    domainDestinationsPerHour: config.FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR ?? 0,
    senderPagesPerDay: config.FAXGATE_QUOTA_SENDER_PAGES_PER_DAY ?? 0,
    domainPagesPerDay: config.FAXGATE_QUOTA_DOMAIN_PAGES_PER_DAY ?? 0,
  };
}

/**
 * The limits of the moment: each read looks at the live config, which the runtime settings
 * (issue 20) update in place, so a quota changed while the gateway runs applies to the next
 * message without rebuilding what holds these limits.
 */
export function liveQuotaLimits(config: Partial<Fields<typeof destinationQuotaFields> & Fields<typeof pageQuotaFields>>): QuotaLimits {
  return {
    get senderDestinationsPerHour() {
      return config.FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR ?? 0;
    },
    get domainDestinationsPerHour() {
      return config.FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR ?? 0;
    },
    get senderPagesPerDay() {
      return config.FAXGATE_QUOTA_SENDER_PAGES_PER_DAY ?? 0;
    },
    get domainPagesPerDay() {
      return config.FAXGATE_QUOTA_DOMAIN_PAGES_PER_DAY ?? 0;
    },
  };
}
