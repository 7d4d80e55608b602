import { COMPLETION, type CompletionCode } from './completion.ts';
import { FCF, fcfBase, fcfName } from './fcf.ts';
import { buildFrame, parseFrame, type T30Frame } from './hdlc-frame.ts';
import type { Capabilities, SessionParams } from './dis.ts';
import { modulationName } from './modulation.ts';
import { TIMER_MS, type T30Result, type PageStats, type T30Action, type T30Config, type T30Event, type TimerName } from './types.ts';

/** The statistics of one page as negotiated (T.30 §5.3.6.2.8 DCS): what both directions report. */
export function pageStats(index: number, p: SessionParams, bytes: number, retransmissions: number): PageStats {
  return { index, encoding: p.encoding, resolution: p.resolution, width: p.width, length: p.length, rate: modulationName(p.modulation), bps: p.modulation.bps, ecm: p.ecm, bytes, retransmissions };
}

/**
 * What both roles share: the action queue, timers that start when a transmission ends,
 * frame assembly across a multi-frame transmission (T.30 §5.3.5), and the call's end.
 */
export abstract class EngineCore {
  protected readonly config: T30Config;
  protected out: T30Action[] = [];
  protected ended = false;
  protected remoteId = '';
  protected remoteCapabilities: Capabilities | undefined;
  protected trainingFailures: number[] = [];
  protected subaddress: string | undefined;
  protected senderId: string | undefined;
  protected readonly pages: PageStats[] = [];
  protected params: SessionParams | undefined;
  /** X bit of our frames (T.30 §5.3.6.1): 1 at the station that received DIS. */
  protected xBit = 0;
  private timerAfterSent: TimerName | undefined;
  private readonly running = new Set<TimerName>();
  private pendingFrames: T30Frame[] = [];
  /** Between asking the driver to transmit and its 'sent' report. */
  private transmitting = false;

  constructor(config: T30Config) {
    this.config = config;
  }

  /** Feeds one event; returns the actions it caused, in order. */
  handle(event: T30Event): T30Action[] {
    this.out = [];
    if (this.ended) return this.out;
    switch (event.type) {
      case 'start':
        this.onStart();
        break;
      case 'abort':
        // T.30 §5.3.6.1.8: DCN is how a station ends a call in any phase, so the far machine
        // hangs up at once instead of waiting out its own timers.
        this.log('call ended on this side');
        this.end('aborted', true);
        break;
      case 'sent':
        this.transmitting = false;
        if (this.timerAfterSent) {
          this.startTimer(this.timerAfterSent);
          this.timerAfterSent = undefined;
        }
        break;
      case 'timer':
        if (!this.running.has(event.name)) break; // stopped after the driver fired it
        this.running.delete(event.name);
        this.log(`timer ${event.name} expired`);
        this.onTimer(event.name);
        break;
      case 'hdlc': {
        const f = parseFrame(event.frame);
        if (!event.fast) {
          if (!f) break;
          if (this.transmitting && fcfBase(f.fcf) !== FCF.DCN) {
            // T.30 is half duplex: what arrives while we talk answers nothing we said
            // (e.g. a late response to a command we have since repeated). DCN still ends the call.
            this.log(`ignored ${fcfName(f.fcf)} heard while transmitting`);
            break;
          }
          if (!event.ok) {
            this.log(`bad FCS on ${fcfName(f.fcf)}`);
            this.onBadFrame(f);
            break;
          }
          this.log(`rx ${fcfName(f.fcf)}${f.final ? '' : ' (more follow)'}`);
          this.pendingFrames.push(f);
          if (f.final) {
            const frames = this.pendingFrames;
            this.pendingFrames = [];
            this.onFrames(frames);
          }
        } else if (f) {
          this.onFastFrame(f, event.ok);
        }
        break;
      }
      case 'image-data':
        this.onImageData(event.data);
        break;
      case 'image-end':
        this.onImageEnd();
        break;
    }
    return this.out;
  }

  protected abstract onStart(): void;
  protected abstract onFrames(frames: T30Frame[]): void;
  protected abstract onTimer(name: TimerName): void;
  protected onBadFrame(_f: T30Frame): void {}
  protected onFastFrame(_f: T30Frame, _ok: boolean): void {}
  protected onImageData(_data: Uint8Array): void {}
  protected onImageEnd(): void {}

  protected log(text: string): void {
    this.out.push({ type: 'log', text });
  }

  /** Sends V.21 frames; every frame but the last has the non-final control field. */
  protected sendFrames(frames: Array<[number, Uint8Array | number[]]>, timerAfter?: TimerName): void {
    const built = frames.map(([fcf, fif], i) => buildFrame(fcf | this.xBit, fif, i === frames.length - 1));
    this.log(`tx ${frames.map(([fcf]) => fcfName(fcf)).join('+')}`);
    this.out.push({ type: 'send-hdlc', frames: built });
    this.transmitting = true;
    this.timerAfterSent = timerAfter;
  }

  /** Records that the driver was asked to transmit something other than V.21 frames. */
  protected transmit(action: T30Action): void {
    this.out.push(action);
    this.transmitting = true;
  }

  /** Arms a timer to start when the driver reports the transmission done. */
  protected afterSent(name: TimerName): void {
    this.timerAfterSent = name;
  }

  /** Starts a timer at its T.30 value, or for `ms` when the wait it bounds is longer. */
  protected startTimer(name: TimerName, ms: number = TIMER_MS[name]): void {
    this.running.add(name);
    this.out.push({ type: 'start-timer', name, ms });
  }

  protected stopTimer(name: TimerName): void {
    if (this.timerAfterSent === name) this.timerAfterSent = undefined;
    if (!this.running.delete(name)) return;
    this.out.push({ type: 'stop-timer', name });
  }

  protected stopAllTimers(): void {
    this.timerAfterSent = undefined;
    for (const t of [...this.running]) this.stopTimer(t);
  }

  /** Ends the call; on failure after phase A, DCN tells the remote (T.30 §5.3.6.1.8). */
  protected end(code: CompletionCode, sendDcn: boolean): void {
    this.stopAllTimers();
    if (sendDcn) this.sendFrames([[FCF.DCN, []]]);
    this.ended = true;
    const result: T30Result = {
      code,
      sentence: COMPLETION[code],
      success: code === 'ok',
      pages: this.pages,
      remoteId: this.remoteId,
      subaddress: this.subaddress,
      senderId: this.senderId,
      rate: this.params ? modulationName(this.params.modulation) : undefined,
      ...(this.remoteCapabilities ? { remoteCapabilities: this.remoteCapabilities } : {}),
      ...(this.trainingFailures.length ? { trainingFailures: [...this.trainingFailures] } : {}),
    };
    this.log(`call ended: ${result.sentence}`);
    this.out.push({ type: 'call-ended', result });
  }

  get finished(): boolean {
    return this.ended;
  }
}
