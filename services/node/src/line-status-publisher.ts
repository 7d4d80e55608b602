import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { lineStatusKeys, type LineState, type NodeLineStatus } from '@faxgate/k8s';
import type { DriverLineState, IncomingCallLine, SipCallState } from '@faxgate/line-driver';
import { createLogThrottle, type ThrottledLog } from '@faxgate/runtime';
import type { LinePool } from './line-pool.ts';

export interface LineStatusOptions {
  redis: Redis;
  prefix: string;
  nodeId: string;
  pool: string;
  lines: LinePool;
  /**
   * The driver's own lines when they are devices that can fail (LineDriver.lineStates: one per
   * modem): published instead of the pool's call slots, so a down modem shows with its reason.
   */
  deviceLines?: () => DriverLineState[];
  /** The SIP side of each running call (LineDriver.sipCallStates), shown on the line carrying it. */
  sipCalls?: () => Map<string, SipCallState>;
  /** Incoming calls the driver answers outside the pool's lines (LineDriver.incomingCalls), each shown as a line while it runs. */
  incomingCalls?: () => IncomingCallLine[];
  /** Called when a drain is asked for (true) or lifted (false): pause or resume taking calls. */
  onDrain(draining: boolean): Promise<void>;
  /**
   * How long after onDrain(true) a call may still be taken: a BullMQ worker blocked waiting for a
   * job when it is paused can still take one that arrives before its blocking wait ends
   * (drainDelay, then a 1 s watchdog). The node reports itself drained only after that.
   */
  drainSettleMs?: number;
  log: Logger;
  /** How often the status is rewritten even without change; the key lives three times as long. */
  heartbeatMs?: number;
  /** How often line changes and the drain flag are looked at. */
  checkMs?: number;
}

/**
 * Publishes this node's lines (idle or calling, with the call and since when; device lines also
 * starting or down, with the reason) to Redis for the console, and follows the drain flag the console sets. The key expires unless the heartbeat
 * renews it, so a node that died drops out of the console by itself.
 */
export class LineStatusPublisher {
  private readonly o: Required<Omit<LineStatusOptions, 'deviceLines' | 'sipCalls' | 'incomingCalls'>> & Pick<LineStatusOptions, 'deviceLines' | 'sipCalls' | 'incomingCalls'>;
  private readonly lineIds: string[];
  private readonly idleSince = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private lastJson = '';
  private lastWrite = 0;
  private draining = false;
  private drainRequested = false;
  private drainSettledAt = 0;
  private tick: Promise<void> = Promise.resolve();
  private readonly repeated: ThrottledLog;

  constructor(opts: LineStatusOptions) {
    this.o = { heartbeatMs: 2000, checkMs: 250, drainSettleMs: 6500, ...opts };
    this.repeated = createLogThrottle(opts.log);
    this.lineIds = [...opts.lines.all];
    const now = new Date().toISOString();
    for (const l of this.lineIds) this.idleSince.set(l, now);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  /** Stops publishing and removes this node's status at once (a clean stop is not a dead node). */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.tick;
    try {
      await this.o.redis.del(lineStatusKeys.node(this.o.prefix, this.o.nodeId));
      await this.o.redis.zrem(lineStatusKeys.index(this.o.prefix), this.o.nodeId);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not remove line status; it expires on its own');
    }
  }

  /** The status as published now. */
  snapshot(): NodeLineStatus {
    const devices = this.o.deviceLines?.();
    const sip = this.o.sipCalls?.();
    const lines: LineState[] = devices ? devices.map(deviceLineState) : this.lineIds.map((line) => {
      const busy = this.o.lines.busy.get(line);
      const call = busy && sip?.get(busy.callId);
      if (busy) return { line, state: 'calling', callId: busy.callId, ...(call ? { sip: call } : {}), since: busy.since };
      return { line, state: 'idle', since: this.idleSince.get(line) ?? new Date().toISOString() };
    });
    for (const c of this.o.incomingCalls?.() ?? []) lines.push({ line: c.line, state: 'calling', callId: c.callId, sip: c.sip, since: c.since });
    return { nodeId: this.o.nodeId, pool: this.o.pool, draining: this.draining, lines, updatedAt: new Date().toISOString() };
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.tick = this.check().finally(() => {
        if (this.timer) this.schedule();
      });
    }, this.o.checkMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const { redis, prefix, nodeId } = this.o;
    try {
      const want = (await redis.exists(lineStatusKeys.drain(prefix, nodeId))) === 1;
      if (want !== this.drainRequested) {
        await this.o.onDrain(want);
        this.drainRequested = want;
        this.drainSettledAt = Date.now() + this.o.drainSettleMs;
        this.o.log.info({ draining: want }, want ? 'draining: no new calls, running calls finish' : 'drain lifted: taking calls again');
      }
      this.draining = this.drainRequested && Date.now() >= this.drainSettledAt;
      for (const l of this.lineIds) if (this.o.lines.busy.has(l)) this.idleSince.delete(l);
      else if (!this.idleSince.has(l)) this.idleSince.set(l, new Date().toISOString());
      const { updatedAt: _, ...status } = this.snapshot();
      const json = JSON.stringify(status);
      if (json === this.lastJson && Date.now() - this.lastWrite < this.o.heartbeatMs) return;
      const body = JSON.stringify({ ...status, updatedAt: new Date().toISOString() });
      await redis.multi()
        .set(lineStatusKeys.node(prefix, nodeId), body, 'PX', this.o.heartbeatMs * 3)
        .zadd(lineStatusKeys.index(prefix), Date.now(), nodeId)
        .exec();
      this.lastJson = json;
      this.lastWrite = Date.now();
    } catch (err) {
      // Published every few seconds: while Redis is away, once a minute is enough.
      this.repeated('warn', 'publish', { err: (err as Error).message }, 'line status not published');
    }
  }
}

/** A device line as the console shows it: a busy modem is a line calling, like a call slot. */
function deviceLineState(d: DriverLineState): LineState {
  const state = d.state === 'busy' ? 'calling' : d.state;
  return {
    line: d.line,
    state,
    since: d.since,
    ...(d.device ? { device: d.device } : {}),
    ...(d.callId ? { callId: d.callId } : {}),
    ...(state === 'down' ? { reason: d.reason || 'unknown' } : {}),
  };
}
