// Sends one packet every 20 ms against a monotonic clock. Each packet's send time is computed
// from the start (start + k·period), never from the previous timer, so timer lateness does not
// add up: a late timer is followed by the packets that fell due meanwhile, and then by a
// shorter wait. RFC 3550 §5.1: the timestamp, not the arrival time, carries the media clock;
// pacing only keeps the far end's jitter buffer from over- or underflowing.
import { PACKET_MS } from './rtp-packetiser.ts';

/** The sans-IO part: which packets are due at a given time. */
export class PacingSchedule {
  private readonly start: number;
  private readonly period: number;
  private sent = 0;

  constructor(startMs: number, periodMs = PACKET_MS) {
    this.start = startMs;
    this.period = periodMs;
  }

  /** Packets due at `nowMs` that have not been sent yet. */
  due(nowMs: number): number {
    return Math.max(0, Math.floor((nowMs - this.start) / this.period) + 1 - this.sent);
  }

  markSent(n = 1): void {
    this.sent += n;
  }

  /** When the next unsent packet is due. */
  nextAt(): number {
    return this.start + this.sent * this.period;
  }

  get count(): number {
    return this.sent;
  }
}

export interface RtpPacedSenderOptions {
  /** Hands one datagram to the network (e.g. a dgram socket's send). */
  send(packet: Uint8Array): void;
  /** The next 20 ms packet, or undefined when the stream has ended. */
  next(): Uint8Array | undefined;
  periodMs?: number;
}

/**
 * Work per turn of the event loop, in ms of wall time, after which the pacers let the loop
 * run before serving more packets. Issue 13: the signal processing must not block the event
 * loop for more than a few milliseconds, and each packet runs a modem end's 20 ms of receive
 * and transmit. With 50 calls (100 ends) in one process every pacer fell due within the same
 * few milliseconds, and after the host had paused the process each caught up its missed
 * packets at once: turns of 76–151 ms at load 4–10 (docs/performance.md).
 */
const TURN_BUDGET_MS = 3;

/**
 * One clock for every paced sender of the process: one timer for the earliest packet due, and
 * the packets then due served round-robin, one per sender per pass, so a catch-up after a pause
 * moves every call forward alike. The work runs in the loop's check phase (setImmediate), at
 * most {@link TURN_BUDGET_MS} of it per turn (one packet more at worst): a turn with more due
 * leaves the rest to the next, after the loop has read the sockets and run the timers.
 */
class PacerClock {
  private readonly senders: RtpPacedSender[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  /** Where the next pass starts, so that a turn cut short does not favour the first senders. */
  private cursor = 0;

  add(s: RtpPacedSender): void {
    this.senders.push(s);
    this.wake();
  }

  remove(s: RtpPacedSender): void {
    const i = this.senders.indexOf(s);
    if (i < 0) return;
    this.senders.splice(i, 1);
    if (i < this.cursor) this.cursor--;
    if (this.senders.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      if (this.immediate) clearImmediate(this.immediate);
      this.immediate = undefined;
    }
  }

  /** Serves what is due in the next check phase. */
  private wake(): void {
    this.immediate ??= setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.immediate = undefined;
    const deadline = performance.now() + TURN_BUDGET_MS;
    for (;;) {
      let served = 0;
      const n = this.senders.length;
      for (let k = 0; k < n && this.senders.length > 0; k++) {
        if (this.cursor >= this.senders.length) this.cursor = 0;
        const s = this.senders[this.cursor];
        if (s.serveOne(performance.now())) served++;
        // A sender that ended removed itself: the same index is now the next one.
        if (this.senders[this.cursor] === s) this.cursor++;
        if (served > 0 && performance.now() >= deadline) {
          this.wake();
          return;
        }
      }
      if (served === 0) break;
    }
    this.arm();
  };

  /** One timer, for the earliest packet not yet due. */
  private arm(): void {
    let at = Infinity;
    for (const s of this.senders) at = Math.min(at, s.nextAt());
    if (at === Infinity || at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.wake();
    }, Math.max(0, at - performance.now()));
  }
}

const clock = new PacerClock();

/** Drives {@link PacingSchedule} with `performance.now()` on the process's {@link PacerClock}. */
export class RtpPacedSender {
  private readonly opts: RtpPacedSenderOptions;
  private schedule: PacingSchedule | undefined;
  private running = false;
  private finish: (() => void) | undefined;
  /** Resolves when the source has ended or {@link stop} was called. */
  readonly done: Promise<void>;

  constructor(opts: RtpPacedSenderOptions) {
    this.opts = opts;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Sends the first packet at once (in the loop's next check phase) and the following ones every period. */
  start(): void {
    if (this.schedule) throw new Error('RtpPacedSender already started');
    this.schedule = new PacingSchedule(performance.now(), this.opts.periodMs ?? PACKET_MS);
    this.running = true;
    clock.add(this);
  }

  stop(): void {
    if (this.running) {
      this.running = false;
      clock.remove(this);
    }
    this.finish?.();
  }

  /** Packets sent so far. */
  get sent(): number {
    return this.schedule?.count ?? 0;
  }

  /** For the clock: when this sender's next packet is due. */
  nextAt(): number {
    return this.schedule ? this.schedule.nextAt() : Infinity;
  }

  /** For the clock: sends one packet if one is due at `now`; false if none was (or the source ended). */
  serveOne(now: number): boolean {
    const s = this.schedule;
    if (!this.running || !s || s.due(now) === 0) return false;
    const p = this.opts.next();
    if (!p) {
      this.stop();
      return false;
    }
    // next() may have stopped the line (its endpoint hung up).
    if (!this.running) return false;
    this.opts.send(p);
    s.markSent();
    return true;
  }
}
