/**
 * The clock quiet hours read the time of day from. Production runs on the wall clock; a test of
 * the gateway runs it on a clock of its own (set ahead to just before a window, and faster than
 * the wall clock) so a one-minute window opens and closes in seconds, while every delay a role
 * computes from it is still a wall-clock delay that BullMQ and Redis keep for real.
 */
export interface QuietHoursClock {
  /** This clock's reading (ms since the epoch) at wall-clock instant `wall`. */
  at(wall: number): number;
  /** The first wall-clock instant (whole ms) at which this clock reads `t` or later. */
  wallAt(t: number): number;
}

/** The wall clock itself. */
export const wallClock: QuietHoursClock = { at: (wall) => wall, wallAt: (t) => t };
