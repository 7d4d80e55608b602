import { int, duration } from '@faxgate/config';

/** Variables of the password throttle, spread by every role that checks passwords (SMTP AUTH, console). */
export const authThrottleFields = {
  FAXGATE_AUTH_MAX_FAILURES: int(10, 1, 10_000).describe(
    'Failed password attempts from one client address (SMTP AUTH and console basic auth) before that address is locked out; each failure is also answered more slowly.',
  ),
  FAXGATE_AUTH_LOCKOUT: duration('15m').describe('How long an address stays locked out after FAXGATE_AUTH_MAX_FAILURES failed attempts (and how long failures are remembered).'),
};

export interface AuthThrottleOptions {
  /** Failures from one address (within `lockoutMs` of each other) before it is locked out. */
  maxFailures: number;
  /** How long a lock-out lasts, and how long a failure is remembered. */
  lockoutMs: number;
  /** Delay added per earlier failure of the same address (the tarpit), capped at `maxDelayMs`. */
  stepMs?: number;
  maxDelayMs?: number;
  /** Addresses remembered at most (the oldest is forgotten first), so a spray of sources cannot grow memory. */
  maxAddresses?: number;
  now?: () => number;
}

interface Entry { failures: number; last: number; lockedUntil: number }

/**
 * Slows down and then refuses password guessing, per client address: every failure makes the
 * next answer to that address later (a tarpit, so a guesser gets a few tries a second at most,
 * not hundreds), and `maxFailures` failures lock the address out for `lockoutMs`. The protocol
 * front ends add their own per-connection limit (SMTP closes a connection after a few failures).
 */
export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: Required<AuthThrottleOptions>;

  constructor(opts: AuthThrottleOptions) {
    this.opts = { stepMs: 500, maxDelayMs: 5_000, maxAddresses: 10_000, now: Date.now, ...opts };
  }

  /** Milliseconds left of the address's lock-out, 0 when it may try. */
  lockedFor(address: string): number {
    const e = this.entry(address);
    return e ? Math.max(0, e.lockedUntil - this.opts.now()) : 0;
  }

  /** How long to hold the answer to a failed attempt from this address (after fail() counted it). */
  delayFor(address: string): number {
    const e = this.entry(address);
    if (!e) return 0;
    return Math.min(this.opts.maxDelayMs, Math.max(0, e.failures - 1) * this.opts.stepMs);
  }

  /** Counts a failure; returns true when it locked the address out. */
  fail(address: string): boolean {
    const now = this.opts.now();
    const e = this.entry(address) ?? { failures: 0, last: now, lockedUntil: 0 };
    e.failures++;
    e.last = now;
    this.entries.delete(address);
    this.entries.set(address, e);
    if (this.entries.size > this.opts.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    if (e.failures >= this.opts.maxFailures && e.lockedUntil <= now) {
      e.lockedUntil = now + this.opts.lockoutMs;
      return true;
    }
    return false;
  }

  /** A good password clears the address's failures (not a running lock-out: lockedFor() is checked first). */
  succeed(address: string): void {
    const e = this.entry(address);
    if (e && e.lockedUntil <= this.opts.now()) this.entries.delete(address);
  }

  private entry(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (!e) return undefined;
    const now = this.opts.now();
    if (e.lockedUntil <= now && now - e.last > this.opts.lockoutMs) {
      this.entries.delete(address);
      return undefined;
    }
    if (e.lockedUntil > 0 && e.lockedUntil <= now) {
      // A lock-out that ran out starts the count again.
      e.failures = 0;
      e.lockedUntil = 0;
    }
    return e;
  }
}

/** The client address without the IPv4-mapped prefix, so one host is one key. */
export function clientKey(remoteAddress: string | undefined): string {
  return (remoteAddress ?? '').replace(/^::ffff:/, '');
}
