/**
 * One holder at a time for singleton work (the inbound poller's schedule, periodic sweeps).
 * A holder that stops renewing (crashed, partitioned) loses the role after the lease duration,
 * and another candidate takes over.
 */
export interface LeaderElector {
  /** Which backend decides: a Kubernetes Lease or a Redis lock. */
  readonly kind: 'lease' | 'redis';
  readonly identity: string;
  readonly isLeader: boolean;
  /** Starts campaigning; resolves after the first attempt (leader or not). */
  start(): Promise<void>;
  /** Stops campaigning and gives the role up at once if held, so a successor need not wait out the lease. */
  stop(): Promise<void>;
  /** Called with true when this process becomes leader and false when it loses or gives it up. */
  onChange(listener: (leader: boolean) => void): () => void;
}

export interface ElectionTiming {
  /** How long a holder keeps the role without renewing. */
  leaseDurationMs: number;
  /** How often the holder renews (well below the lease duration). */
  renewIntervalMs: number;
  /** How often a candidate retries while someone else holds the role. */
  retryIntervalMs: number;
}

export const DEFAULT_TIMING: ElectionTiming = { leaseDurationMs: 15_000, renewIntervalMs: 5_000, retryIntervalMs: 2_000 };

/** Listener bookkeeping and the campaign loop shared by both backends. */
export abstract class ElectorBase implements LeaderElector {
  abstract readonly kind: 'lease' | 'redis';
  readonly identity: string;
  protected readonly timing: ElectionTiming;
  protected readonly log: (msg: string, err?: unknown) => void;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private cycle: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(leader: boolean) => void>();
  /** Local time of the last successful renew: a leader that cannot renew steps down before its lease runs out. */
  private lastRenew = 0;

  constructor(identity: string, timing: Partial<ElectionTiming>, log?: (msg: string, err?: unknown) => void) {
    this.identity = identity;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.log = log ?? (() => {});
  }

  get isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One try to acquire or renew; true when this process holds the role afterwards. */
  protected abstract tryAcquireOrRenew(): Promise<boolean>;
  /** Gives the role up in the backend (only if this process still holds it). */
  protected abstract release(): Promise<void>;

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.runCycle();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    await this.cycle;
    if (this.leader) {
      try {
        await this.release();
      } catch (err) {
        this.log('could not release leadership; it expires after the lease duration', err);
      }
      this.setLeader(false);
    }
  }

  private runCycle(): Promise<void> {
    this.cycle = (async () => {
      let held = false;
      let failed = false;
      try {
        held = await this.tryAcquireOrRenew();
        if (held) this.lastRenew = Date.now();
      } catch (err) {
        failed = true;
        this.log('leader election attempt failed', err);
        // Keep the role through transient errors only while the lease we last renewed is surely
        // still ours: step down a renew interval before it can expire for the others.
        held = this.leader && Date.now() - this.lastRenew < this.timing.leaseDurationMs - this.timing.renewIntervalMs;
      }
      this.setLeader(held);
      if (this.running) {
        this.timer = setTimeout(() => void this.runCycle(), held && !failed ? this.timing.renewIntervalMs : this.timing.retryIntervalMs);
        this.timer.unref();
      }
    })();
    return this.cycle;
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const l of [...this.listeners]) {
      try {
        l(leader);
      } catch (err) {
        this.log('leadership listener threw', err);
      }
    }
  }
}
