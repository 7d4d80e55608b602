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

/** Drives {@link PacingSchedule} with `performance.now()` and one timer at a time. */
export class RtpPacedSender {
  private readonly opts: RtpPacedSenderOptions;
  private timer: NodeJS.Timeout | undefined;
  private schedule: PacingSchedule | undefined;
  private finish: (() => void) | undefined;
  /** Resolves when the source has ended or {@link stop} was called. */
  readonly done: Promise<void>;

  constructor(opts: RtpPacedSenderOptions) {
    this.opts = opts;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Sends the first packet now and the following ones every period. */
  start(): void {
    if (this.schedule) throw new Error('RtpPacedSender already started');
    this.schedule = new PacingSchedule(performance.now(), this.opts.periodMs ?? PACKET_MS);
    this.tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.finish?.();
  }

  /** Packets sent so far. */
  get sent(): number {
    return this.schedule?.count ?? 0;
  }

  private tick = (): void => {
    const s = this.schedule as PacingSchedule;
    for (let n = s.due(performance.now()); n > 0; n--) {
      const p = this.opts.next();
      if (!p) {
        this.stop();
        return;
      }
      this.opts.send(p);
      s.markSent();
    }
    this.timer = setTimeout(this.tick, Math.max(0, s.nextAt() - performance.now()));
  };
}
