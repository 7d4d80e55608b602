// Quiet hours per destination (FAXGATE_QUIET_HOURS), shared by dispatch (when it queues a call)
// and the node (when a call is about to take a line). The config field is in ./config, apart, so
// that a service's config schema loads no phone metadata.
export { QuietHours, type QuietWait } from './quiet-hours.ts';
export { wallClock, type QuietHoursClock } from './quiet-hours-clock.ts';
export { localMinuteOfDay, parseQuietHours, quietUntil, type QuietRule } from './quiet-hours-rules.ts';
export { COUNTRY_TIME_ZONES } from './country-time-zones.ts';
