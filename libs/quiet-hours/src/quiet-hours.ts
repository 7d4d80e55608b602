import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { COUNTRY_TIME_ZONES } from './country-time-zones.ts';
import { parseQuietHours, quietUntil, type QuietRule } from './quiet-hours-rules.ts';
import { wallClock, type QuietHoursClock } from './quiet-hours-clock.ts';

/** Why a call waits, for the timeline and the recipient record. */
export interface QuietWait {
  /** When the window ends (ms, wall clock). */
  until: number;
  why: string;
}

/**
 * Quiet hours per destination (FAXGATE_QUIET_HOURS): a call that would start inside its number's
 * window is queued to start when the window ends. The rule for a number is its longest matching
 * `+prefix` entry, else its country's entry, else `*`. The country comes from the E.164 number
 * (libphonenumber's metadata: a NANP number's area code gives US or CA, +7 gives RU or KZ); its
 * zones from tzdata's zone.tab (country-time-zones.ts) unless the entry names one with `@`. A
 * number whose country has no known zone (a satellite or international service number) has no
 * quiet hours, unless a `+prefix` entry names a zone.
 */
export class QuietHours {
  private readonly rules: QuietRule[];
  private readonly clock: QuietHoursClock;

  /** `clock`: where the time of day is read (wallClock unless a test moves it). */
  constructor(spec: string, clock: QuietHoursClock = wallClock) {
    this.clock = clock;
    const parsed = parseQuietHours(spec);
    if (!parsed.ok) throw new Error(`FAXGATE_QUIET_HOURS: ${parsed.problem}`);
    this.rules = parsed.rules;
  }

  get enabled(): boolean {
    return this.rules.length > 0;
  }

  /**
   * When a call to `e164` starting at `at` (ms, wall clock) must wait for the end of its quiet
   * hours; the end is a wall-clock instant too.
   */
  waitFor(e164: string, at: number): QuietWait | undefined {
    if (!this.enabled) return undefined;
    const country = parsePhoneNumberFromString(e164)?.country;
    const prefix = this.rules.filter((r) => r.key.startsWith('+') && e164.startsWith(r.key)).sort((a, b) => b.key.length - a.key.length)[0];
    const rule = prefix ?? this.rules.find((r) => country && r.key === country) ?? this.rules.find((r) => r.key === '*');
    if (!rule) return undefined;
    const zones = rule.window.zone ? [rule.window.zone] : country ? (COUNTRY_TIME_ZONES[country] ?? []) : [];
    const until = quietUntil(this.clock.at(at), zones, rule.window);
    if (until === undefined) return undefined;
    const where = rule.window.zone ?? (zones.length <= 3 ? zones.join(', ') : `every time zone of ${country} (${zones.length})`);
    return { until: this.clock.wallAt(until), why: `quiet hours ${rule.window.text} for ${rule.key === '*' ? country : rule.key} in ${where}` };
  }
}
