import { AtChannel, identityChange, identitySummary, openSerialLink, probeModem, type ByteLink, type ModemCapabilities, type Unsolicited } from '@faxgate/class1';
import type { DriverLineState } from '@faxgate/line-driver';
import type { Logger } from 'pino';

export type ModemLineState = 'starting' | 'idle' | 'sending' | 'receiving' | 'down';

export interface ModemLineOptions {
  device: string;
  /** The line's name in logs and records (`pool/node/modem-1`). */
  line: string;
  resetCmds: string[];
  initCmds: string[];
  checkIntervalMs: number;
  log: Logger;
  /** Every state change, for metrics and the console. */
  onState?(line: ModemLine): void;
  /** An idle modem rang: the driver decides whether and when to answer. */
  onRing?(line: ModemLine, callerId: Record<string, string>, rings: number): void;
  /** Opens the device; serialport by default (a test plays the modem over a replayed link). */
  open?(device: string): Promise<ByteLink>;
}

/** Backoff between tries to bring a down modem back: 1 s doubling to 60 s. */
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000];
/** Quiet time after the first `AT` on a freshly opened device (see tryUp). */
const SETTLE_MS = 300;
/** Caller ID lines belong to the ring they precede; older ones are stale. */
const CALLER_ID_TTL_MS = 15_000;

/**
 * One modem of the pool: opens its device, resets and probes it (at start and after every call
 * or failure), keeps an idle modem checked with a periodic `AT` (serialport does not always
 * notice a vanished pty while only reading: docs/modems.md), and when it stops answering marks
 * the line down with the reason and tries again with backoff.
 */
export class ModemLine {
  readonly device: string;
  readonly line: string;
  state: ModemLineState = 'starting';
  /** Why the line is down (or was last down), for the console and logs. */
  reason = '';
  /**
   * Set when the device, reopened, answered its probe as a different modem than before (see
   * tryUp); shown as the reason of a usable line.
   */
  warning = '';
  /** The call on the line while it is sending or receiving. */
  callId: string | undefined;
  capabilities: ModemCapabilities | undefined;
  channel: AtChannel | undefined;
  private link: ByteLink | undefined;
  private readonly o: ModemLineOptions;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private rings = 0;
  private lastRingAt = 0;
  private callerId: Record<string, string> = {};
  private callerIdAt = 0;
  private bringingUp: Promise<void> | undefined;
  private checking: Promise<void> | undefined;
  private shown: DriverLineState['state'] = 'starting';
  private shownSince = new Date().toISOString();

  constructor(o: ModemLineOptions) {
    this.o = o;
    this.device = o.device;
    this.line = o.line;
  }

  /** Starts bringing the modem up; resolves once it is idle or marked down. */
  start(): Promise<void> {
    return this.bringUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.checkTimer);
    await this.bringingUp?.catch(() => undefined);
    await this.closeLink();
  }

  /**
   * Resolves once an idle check that was already under way when the modem was claimed has its
   * answer: the AT channel takes one command at a time, and the call's first command must wait.
   */
  async ready(): Promise<void> {
    await this.checking;
  }

  /** Takes an idle modem for a call; false when it is not idle. */
  claim(kind: 'sending' | 'receiving', callId: string): boolean {
    if (this.state !== 'idle' || !this.channel) return false;
    clearTimeout(this.checkTimer);
    this.callId = callId;
    this.setState(kind);
    return true;
  }

  /**
   * The line as the console and `faxgate_modem_line_up` show it. A line re-probed after a
   * failure stays down, with its reason, until a probe succeeds: it is no more usable while
   * it is retried, and the console would otherwise flicker between down and starting at every
   * backoff step. `since` is when this shown state began (when the line went down, not the
   * last retry).
   */
  get health(): DriverLineState {
    return {
      line: this.line,
      device: this.device,
      state: this.shown,
      since: this.shownSince,
      ...(this.shown === 'down' ? { reason: this.reason } : this.warning ? { reason: this.warning } : {}),
      ...(this.shown === 'busy' && this.callId ? { callId: this.callId } : {}),
    };
  }

  /** Usable: idle, or carrying a call. */
  get up(): boolean {
    return this.shown === 'idle' || this.shown === 'busy';
  }

  /**
   * Gives a modem back after a call: hang up by command (a pty has no DTR: docs/modems.md),
   * then reset and probe it again, as after every reset.
   */
  async release(): Promise<void> {
    const ch = this.channel;
    if (ch && !ch.closed) {
      await ch.command('ATH0', { timeoutMs: 5_000 }).catch((err: Error) => this.o.log.warn({ line: this.line, err: err.message.split('\n')[0] }, 'hang-up not answered'));
    }
    if (this.stopped) return;
    this.rings = 0;
    this.callerId = {};
    await this.bringUp();
  }

  /**
   * Ends the call in progress at once (a cancelled fax): the device is closed, which fails the
   * call's pending command; `release()` then reopens it, and the reset puts the modem on-hook.
   */
  async hangUpNow(): Promise<void> {
    await this.closeLink();
  }

  /** The caller ID lines that arrived shortly before the ring. */
  get currentCallerId(): Record<string, string> {
    return Date.now() - this.callerIdAt < CALLER_ID_TTL_MS ? { ...this.callerId } : {};
  }

  private setState(s: ModemLineState, reason = ''): void {
    this.state = s;
    if (reason) this.reason = reason;
    if (s !== 'sending' && s !== 'receiving') this.callId = undefined;
    const shown = s === 'down' || (s === 'starting' && this.failures > 0) ? 'down' : s === 'sending' || s === 'receiving' ? 'busy' : s;
    if (shown !== this.shown) {
      this.shown = shown;
      this.shownSince = new Date().toISOString();
    }
    this.o.onState?.(this);
  }

  private bringUp(): Promise<void> {
    if (!this.bringingUp) this.bringingUp = this.tryUp().finally(() => (this.bringingUp = undefined));
    return this.bringingUp;
  }

  private async tryUp(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearTimeout(this.checkTimer);
    this.setState('starting');
    try {
      if (!this.channel || this.channel.closed) {
        await this.closeLink();
        const link = await (this.o.open ?? openSerialLink)(this.device);
        this.link = link;
        const ch = new AtChannel(link);
        ch.onUnsolicited((u) => this.unsolicited(u));
        link.onClose((err) => this.linkClosed(err));
        this.channel = ch;
        // A modem reopened after a call was cut (a cancel, a crashed node) may still owe answers
        // to that call's commands: one `AT`, then a pause in which late answers arrive with no
        // command waiting and are dropped, so that ATZ and the probe get their own answers
        // (seen on iaxmodem: the probe's +FCLASS=? got the echo of ATE0V1Q0).
        // A call cut in a transmit phase (a cancel while TSI/DCS went out) leaves the modem
        // sending and reading everything as data, so AT and ATZ went unanswered and a cancel
        // took the line down (seen on iaxmodem). T.31 +FTH: <DLE><ETX> after a frame that is not
        // the last gets CONNECT for the next one; a second, ending an empty frame, ends the
        // carrier with OK. After +FTM data the first one ends it. In command mode the two are
        // not commands and are ignored; in a receive phase the first octet aborts it.
        ch.writeData(new Uint8Array(0), true);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        ch.writeData(new Uint8Array(0), true);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        await ch.command('AT', { timeoutMs: 2_000 }).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }
      const ch = this.channel;
      for (const cmd of this.o.resetCmds) {
        // ATZ answers OK on every modem worth using; one that does not is not ready.
        const r = await ch.command(cmd, { timeoutMs: 5_000 });
        if (r.result !== 'OK') throw new Error(`${cmd} answered ${r.result}`);
      }
      const before = this.capabilities;
      this.capabilities = await probeModem(ch);
      this.noticeIdentity(before, this.capabilities);
      for (const cmd of this.o.initCmds) {
        const r = await ch.command(cmd, { timeoutMs: 5_000 });
        if (r.result !== 'OK') this.o.log.warn({ line: this.line, cmd, result: r.result }, 'modem init command refused; continuing without it');
      }
      if (this.stopped) return;
      if (this.failures > 0 || this.reason) this.o.log.info({ line: this.line, device: this.device }, 'modem line up again');
      this.failures = 0;
      this.reason = '';
      this.setState('idle');
      this.scheduleCheck();
    } catch (err) {
      this.down((err as Error).message);
    }
  }

  /**
   * A device path can come to lead to another modem between two opens (docs/modems.md): the
   * probe already replaced the capabilities, but the operator should know that the line's
   * modem changed, as a warning in the log and on the line's status.
   */
  private noticeIdentity(before: ModemCapabilities | undefined, now: ModemCapabilities): void {
    const change = before && identityChange(before.identity, now.identity);
    if (!change) return;
    this.warning = `${this.device} answers as a different modem than before (${change}) since ${new Date().toISOString()}`;
    this.o.log.warn({ line: this.line, device: this.device, before: identitySummary(before.identity), now: identitySummary(now.identity) }, 'modem answers as a different modem than before');
  }

  /** Marks the line down with the reason and schedules the next try. */
  down(reason: string): void {
    const short = reason.split('\n')[0];
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures++;
    if (this.state !== 'down' || this.reason !== short) this.o.log.warn({ line: this.line, device: this.device, reason: short, retryInMs: delay }, 'modem line down');
    this.setState('down', short);
    clearTimeout(this.checkTimer);
    if (this.stopped) return;
    // A channel that timed out may be wedged; a fresh open resets the device's state too.
    void this.closeLink();
    this.retryTimer = setTimeout(() => void this.bringUp(), delay);
  }

  private scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      if (this.state !== 'idle' || !this.channel) return;
      const ch = this.channel;
      this.checking = (async () => {
        try {
          const r = await ch.command('AT', { timeoutMs: 3_000 });
          if (r.result !== 'OK') throw new Error(`AT answered ${r.result}`);
          if (this.state === 'idle') this.scheduleCheck();
        } catch (err) {
          if (this.state === 'idle') this.down(`no answer to the idle check: ${(err as Error).message}`);
        } finally {
          this.checking = undefined;
        }
      })();
    }, this.o.checkIntervalMs);
    this.checkTimer.unref();
  }

  private unsolicited(u: Unsolicited): void {
    if (u.kind === 'caller-id') {
      if (Date.now() - this.callerIdAt > CALLER_ID_TTL_MS) this.callerId = {};
      this.callerId[u.field] = u.value;
      this.callerIdAt = Date.now();
      return;
    }
    if (this.state !== 'idle') return;
    // Rings come every ~6 s (ETSI ES 201 970 cadence); a gap twice that means a new call.
    if (Date.now() - this.lastRingAt > 12_000) this.rings = 0;
    this.lastRingAt = Date.now();
    this.rings++;
    this.o.onRing?.(this, this.currentCallerId, this.rings);
  }

  private linkClosed(err?: Error): void {
    const reason = `device closed: ${err?.message ?? 'closed'}`;
    this.channel = undefined;
    this.link = undefined;
    // A call in progress fails through its channel; the line comes back after it is released.
    // While starting, the failing command reports it; during a call, the call does.
    if (this.state === 'idle') this.down(reason);
    else this.reason = reason;
  }

  private async closeLink(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.channel = undefined;
    await link?.close().catch(() => undefined);
  }

  /** Forgets the ring count (after answering, or when the caller gave up). */
  resetRings(): void {
    this.rings = 0;
  }
}
