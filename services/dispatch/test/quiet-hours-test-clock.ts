import type { QuietHoursClock } from '@faxgate/quiet-hours';

/**
 * A clock for quiet hours that a test sets: it reads `reading` at the moment of `set()` and runs
 * on from there `rate` times as fast as the wall clock. The roles still wait on the wall clock
 * (BullMQ's delays, Redis's leases); only the time of day they judge quiet hours by is moved, so
 * a one-minute window can open a few seconds after a call is queued and close seconds later.
 * Until the first `set()` it is the wall clock.
 */
export class QuietHoursTestClock implements QuietHoursClock {
  private wall0 = 0;
  private reading0 = 0;
  private rate = 1;

  set(reading: number, rate = 1): void {
    if (!Number.isInteger(rate) || rate < 1) throw new Error(`rate ${rate}: a whole number from 1, so readings stay whole milliseconds`);
    this.wall0 = Date.now();
    this.reading0 = reading;
    this.rate = rate;
  }

  at(wall: number): number {
    return this.reading0 + (wall - this.wall0) * this.rate;
  }

  wallAt(t: number): number {
    return this.wall0 + Math.ceil((t - this.reading0) / this.rate);
  }
}
