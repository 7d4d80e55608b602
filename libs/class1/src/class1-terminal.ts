// A Class 1 fax terminal: runs faxgate's sans-IO T.30 engine (@faxgate/t30) over a Class 1
// modem's AT channel (ITU-T T.31 §8). The modem does the modulation; the DTE decides, for every
// signal, whether to transmit or to receive and in which modulation, so this terminal keeps
// track of what T.30 says comes next (Figure 5-2: DCS → TCF, CFR → page, MPS/MCF → page, …)
// and asks the modem for exactly that. ECM frames are framed in host software (ecm-hdlc.ts).
import {
  FCF, fcfBase, parseDcs, parseFrame, rateOf, reverseBits,
  type Modulation as T30Modulation, type T30Action, type T30Engine, type T30Event, type T30Result, type TimerName,
} from '@faxgate/t30';
import type { AtChannel } from './at-channel.ts';
import type { Modulation, ModemCapabilities } from './capabilities.ts';
import { sendImageData } from './data-phase.ts';
import { hdlcToOctets, octetsToHdlc } from './ecm-hdlc.ts';
import { sendHdlcFrames, splitFcs } from './hdlc-phase.ts';

/**
 * Per-modem timing and command quirks, with HylaFAX's config names (docs/modems.md): many
 * modems need their own, and defaults follow T.30 §5.3.6.2 / T.31 §8.3 timing.
 */
export interface Class1Quirks {
  /**
   * Class1SwitchingCmd: sent before transmitting after having received, so that 75 ± 20 ms of
   * silence separates the far end's signal from ours (T.30 §5.3.2.4; T.31 +FRS=<n> waits for
   * n × 10 ms of silence). Empty: none.
   */
  switchingCmd: string;
  /** Class1TCFWaitCmd: between our DCS (V.21) and TCF, the 75 ± 20 ms T.30 §5.3.2.4 asks for (+FTS=7). */
  tcfWaitCmd: string;
  /** Class1PPMWaitCmd: between the end of page data (or an ECM block) and the post-page message. */
  ppmWaitCmd: string;
  /** Class1TMConnectDelay: pause between +FTM's CONNECT and the first data octet. */
  tmConnectDelayMs: number;
  /** Class1TCFRecvTimeout: how long +FRM waits for the TCF carrier after DCS. */
  tcfRecvTimeoutMs: number;
}

export const DEFAULT_QUIRKS: Class1Quirks = {
  switchingCmd: 'AT+FRS=7',
  tcfWaitCmd: 'AT+FTS=7',
  ppmWaitCmd: 'AT+FTS=7',
  tmConnectDelayMs: 0,
  tcfRecvTimeoutMs: 4_500,
};

export interface Class1TerminalOptions {
  channel: AtChannel;
  engine: T30Engine;
  capabilities: ModemCapabilities;
  quirks?: Partial<Class1Quirks>;
  /**
   * Where the modem stands when the call is handed over (T.31 §8.2): after ATD's CONNECT it is
   * receiving V.21 (the called station's CSI/DIS come next); after ATA's CONNECT it sends V.21
   * flags and takes the first frame without +FTH.
   */
  connected: 'receiving' | 'transmitting';
  log?: (line: string) => void;
  onAction?: (action: T30Action) => void;
}

/** What the DTE asks the modem to receive next. */
type Expect = 'first-frame' | 'hdlc' | 'tcf' | 'page';

/** A T30Result, or one made here when the line went away under the engine. */
export interface Class1CallResult extends T30Result {
  /** Set when the modem reported the line gone (ERROR to every command, carrier lost for good). */
  lineLost?: string;
}

/** T.30 §A.4.2.2: PPS/EOR's FCF2 of a partial page that is not a page's last. */
const FCF2_NULL = 0x00;
/** V.21 frames: the longest T.30 frame (an NSF, or a 256-octet ECM-size frame) lasts ~7 s. */
const FRAME_TIMEOUT_MS = 10_000;
/** A bound on waiting for any carrier: the engine's timers (T1 35 s at most) abort it sooner. */
const CARRIER_WAIT_MS = 60_000;
/** Page data: a long, dense page at 2400 bit/s runs for minutes. */
const PAGE_TIMEOUT_MS = 10 * 60_000;
/** After this many receive commands answered ERROR in a row the modem has no call any more. */
const LINE_LOST_ERRORS = 3;

/**
 * T.31 <MOD> code of a T.30 modulation: V.17 long training for TCF and after a retrain, short
 * training for the page data that follows an accepted TCF (T.30 §5.3.2.4 with V.17 §5.4 notes).
 */
export function t31Code(m: T30Modulation, training: 'long' | 'short'): number {
  switch (m.modem) {
    case 'v27ter':
      return m.bps === 2400 ? 24 : 48;
    case 'v29':
      return m.bps === 7200 ? 72 : 96;
    case 'v17':
      return Math.floor(m.bps / 100) + (training === 'long' ? 1 : 2);
  }
}

/** Drives one call; `run()` resolves with the engine's result once the last frame is out. */
export class Class1Terminal {
  private readonly o: Class1TerminalOptions;
  private readonly ch: AtChannel;
  private readonly q: Class1Quirks;
  private readonly txQueue: T30Action[] = [];
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  /** Timers that expired while data was arriving: delivered after the data, unless restarted. */
  private readonly deferred = new Set<TimerName>();
  private result: T30Result | undefined;
  private expect: Expect;
  /** True between a receive command and its CONNECT: a timer may abort it. */
  private awaitingCarrier = false;
  private inData = false;
  /**
   * True after a non-final frame (control 0x03, T.30 §5.3.5) until the final one: the far end's
   * transmission is still on the line, and the frames that follow belong to the response or
   * command already under way. The station receives them to the final frame, each within the
   * frame limit, instead of abandoning them on T2/T4 (T.30 Figure 5-2, "response received":
   * timers apply until flags are detected). Timers that expire meanwhile are delivered after.
   */
  private inTransmission = false;
  /** Timers that expired and are handled once the turn's I/O has been read (see timerFired). */
  private readonly expiring = new Set<TimerName>();
  private abortedByTimer = false;
  /** The last thing on the line: ours (tx) or the far end's (rx); picks the gap before sending. */
  private last: 'rx' | 'tx' | 'none';
  private firstTransmitPending: boolean;
  /** Receiver: the rate of the page data, from DCS or CTC. */
  private rxModulation: T30Modulation | undefined;
  private rxEcm = false;
  /** Receiver: the last post-page command (non-ECM) or PPS's FCF2 (ECM): does a page follow? */
  private lastPostPage: number | undefined;
  private lastEorFcf2: number | undefined;
  private errorsInARow = 0;
  private lineLost: string | undefined;
  /** The silence command the modem refused before the transmission under way (see gap). */
  private refusedGap: string | undefined;

  constructor(o: Class1TerminalOptions) {
    this.o = o;
    this.ch = o.channel;
    this.q = { ...DEFAULT_QUIRKS, ...o.quirks };
    this.expect = o.connected === 'receiving' ? 'first-frame' : 'hdlc';
    this.last = o.connected === 'receiving' ? 'rx' : 'none';
    this.firstTransmitPending = o.connected === 'transmitting';
  }

  async run(): Promise<Class1CallResult> {
    try {
      this.feed({ type: 'start' });
      while (!this.result && !this.lineLost) {
        if (this.txQueue.length > 0) {
          await this.transmitQueued();
          if (this.lineLost) break;
          this.feed({ type: 'sent' });
          continue;
        }
        await this.receiveOnce();
        this.deliverDeferred();
      }
      // Whatever the engine still had to say (DCN, T.30 §5.3.2.5) goes out before the hang-up.
      if (this.txQueue.length > 0 && !this.lineLost) await this.transmitQueued().catch((err: Error) => this.log(`final frames not sent: ${err.message.split('\n')[0]}`));
    } finally {
      for (const name of [...this.timers.keys()]) this.clearTimer(name);
      this.expiring.clear();
    }
    if (this.result) return this.result;
    return {
      code: 'no-response',
      sentence: `The line dropped: ${this.lineLost}`,
      success: false,
      pages: [],
      remoteId: '',
      lineLost: this.lineLost,
    };
  }

  private log(text: string): void {
    this.o.log?.(text);
  }

  private feed(event: T30Event): void {
    if (this.result) return;
    for (const a of this.o.engine.handle(event)) this.perform(a);
  }

  private perform(a: T30Action): void {
    this.o.onAction?.(a);
    switch (a.type) {
      case 'log':
        this.log(a.text);
        break;
      case 'start-timer':
        this.clearTimer(a.name);
        this.timers.set(a.name, setTimeout(() => this.timerFired(a.name), a.ms));
        break;
      case 'stop-timer':
        this.clearTimer(a.name);
        break;
      case 'send-hdlc':
      case 'send-tcf':
      case 'send-image':
        this.txQueue.push(a);
        break;
      case 'call-ended':
        this.result = a.result;
        break;
      default:
        break;
    }
  }

  private clearTimer(name: TimerName): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
    this.deferred.delete(name);
    this.expiring.delete(name);
  }

  /**
   * Node runs expired timers before it reads the descriptors that became readable meanwhile: after
   * a pause of the process (a loaded host, GC) a T4 would win against the CONNECT that reported
   * the far end's flags within T4, and abort a reception already under way. The expiry is
   * therefore handled in the check phase of the same turn, after its poll has read the modem.
   */
  private timerFired(name: TimerName): void {
    this.timers.delete(name);
    this.expiring.add(name);
    setImmediate(() => {
      if (!this.expiring.delete(name)) return; // stopped or restarted meanwhile
      this.timerExpired(name);
    });
  }

  private timerExpired(name: TimerName): void {
    if (this.inData || this.inTransmission) {
      // The engine learns of page data only once +FRM's data phase ends (the AT channel hands
      // over the whole block): its T2 must not expire under a page that is still arriving; nor
      // T2/T4 under the rest of a transmission whose first frames have arrived.
      this.deferred.add(name);
      return;
    }
    this.feed({ type: 'timer', name });
    this.interruptReceive();
  }

  private deliverDeferred(): void {
    if (this.inTransmission) return;
    for (const name of [...this.deferred]) {
      this.deferred.delete(name);
      this.feed({ type: 'timer', name });
    }
  }

  /** A timer changed the engine's plans: a receive still waiting for a carrier gives way. */
  private interruptReceive(): void {
    if (!this.awaitingCarrier || this.inTransmission) return;
    this.abortedByTimer = true;
    try {
      this.ch.abort();
    } catch {
      // The command finished meanwhile: the loop sees the engine's new plans next round.
    }
  }

  // ---- transmitting ----

  private async transmitQueued(): Promise<void> {
    while (this.txQueue.length > 0) {
      const a = this.txQueue.shift() as T30Action;
      try {
        await this.transmit(a);
      } catch (err) {
        if (this.ch.closed) throw err;
        // ERROR or NO CARRIER to a transmit command: the modem has no call any more.
        const msg = (err as Error).message.split('\n')[0];
        this.lineLost = this.refusedGap ? `${this.refusedGap}, then ${msg}: the modem has no call` : msg;
        this.log(`line lost while transmitting: ${this.lineLost}`);
        this.txQueue.length = 0;
        return;
      }
      this.last = 'tx';
    }
  }

  /**
   * The silence before we transmit (T.30 §5.3.2.4: 75 ± 20 ms; T.31 §8.3.1 +FTS, §8.3.2 +FRS).
   * A modem that refuses the command (ERROR), or a +FRS that hears no silence within 5 s (a
   * noisy line), gets the same pause timed by the host instead, as HylaFAX does for modems
   * without +FRS (`<delay:7>` as Class1SwitchingCmd): the transmit command that follows says
   * whether the modem still has a call (iaxmodem answers ERROR to both once the far end hung
   * up), and `refusedGap` names the refusal in the reason then.
   */
  private async gap(kind: 'tcf' | 'other'): Promise<void> {
    this.refusedGap = undefined;
    const cmd = this.last === 'rx' ? this.q.switchingCmd : this.last === 'tx' ? (kind === 'tcf' ? this.q.tcfWaitCmd : this.q.ppmWaitCmd) : '';
    if (!cmd) return;
    const r = await this.ch.command(cmd, { timeoutMs: 5_000 }).catch((err: Error) => {
      if (this.ch.closed) throw err;
      return { result: 'no answer within 5 s' };
    });
    if (r.result === 'OK') return;
    const tens = Number(/=\s*(\d+)\s*$/.exec(cmd)?.[1] ?? 7);
    this.refusedGap = `${cmd} answered ${r.result}`;
    this.log(`${this.refusedGap}: pausing ${tens * 10} ms on the host instead`);
    await new Promise((resolve) => setTimeout(resolve, tens * 10));
  }

  private modulation(m: T30Modulation, training: 'long' | 'short'): Modulation {
    const code = t31Code(m, training);
    const found = this.o.capabilities.transmit.find((x) => x.code === code);
    if (!found) throw new Error(`the modem does not offer +FTM=${code} (${m.modem} ${m.bps})`);
    return found;
  }

  private async transmit(a: T30Action): Promise<void> {
    if (a.type === 'send-hdlc' && !a.modulation) {
      this.noteSentFrames(a.frames);
      if (this.firstTransmitPending) {
        this.firstTransmitPending = false;
        await sendHdlcFrames(this.ch, a.frames, { sendCommand: false });
      } else {
        await this.gap('other');
        await sendHdlcFrames(this.ch, a.frames);
      }
      return;
    }
    this.firstTransmitPending = false;
    if (a.type === 'send-tcf') {
      await this.gap('tcf');
      const zeros = new Uint8Array(Math.round((a.modulation.bps * a.ms) / 8000));
      await sendImageData(this.ch, this.modulation(a.modulation, 'long'), zeros, { connectDelayMs: this.q.tmConnectDelayMs });
    } else if (a.type === 'send-image') {
      await this.gap('other');
      // The engine's page data is MSB-first (TIFF FillOrder 1); the DCE sends LSB first (bit-order.ts).
      await sendImageData(this.ch, this.modulation(a.modulation, 'short'), reverseBits(a.data), { connectDelayMs: this.q.tmConnectDelayMs });
    } else if (a.type === 'send-hdlc' && a.modulation) {
      // T.30 Annex A over a DCE without high-speed +FTH: host-framed HDLC as +FTM data.
      await this.gap('other');
      await sendImageData(this.ch, this.modulation(a.modulation, 'short'), hdlcToOctets(a.frames, a.modulation.bps), { connectDelayMs: this.q.tmConnectDelayMs });
    }
  }

  /** What our own frames say comes next from the far end (the receiver's side of Figure 5-2). */
  private noteSentFrames(frames: Uint8Array[]): void {
    const f = parseFrame(frames[frames.length - 1]);
    if (!f) return;
    const fcf = fcfBase(f.fcf);
    this.expect = 'hdlc';
    if (fcf === FCF.CFR || fcf === FCF.PPR || fcf === FCF.CTR) this.expect = 'page';
    else if (fcf === FCF.MCF) {
      // After MCF a page follows MPS (non-ECM) or a PPS that was not a page's last (ECM).
      const p = this.lastPostPage;
      if (p !== undefined && (p === FCF2_NULL || p === FCF.MPS || p === FCF.PRI_MPS)) this.expect = 'page';
    } else if (fcf === FCF.ERR && this.lastEorFcf2 === FCF2_NULL) this.expect = 'page';
  }

  // ---- receiving ----

  private async receiveOnce(): Promise<void> {
    const expect = this.expect;
    if (expect === 'first-frame') {
      this.expect = 'hdlc';
      await this.readFrame();
      return;
    }
    if (expect === 'hdlc') {
      // The next frame of a transmission under way comes within the frame limit (T.30 §5.3.5:
      // 3 s ± 15 %); spandsp's DCE reports no NO CARRIER when the carrier drops after a
      // non-final frame, so that wait is bounded here.
      const r = await this.carrierCommand('AT+FRH=3', this.inTransmission ? FRAME_TIMEOUT_MS : CARRIER_WAIT_MS);
      if (r === 'CONNECT') await this.readFrame();
      else {
        this.inTransmission = false;
        this.heardNothing();
        await this.noFrame(r);
      }
      return;
    }
    const m = this.rxModulation;
    if (!m) {
      this.expect = 'hdlc';
      return;
    }
    const code = t31Code(m, expect === 'tcf' ? 'long' : 'short');
    const r = await this.carrierCommand(`AT+FRM=${code}`, expect === 'tcf' ? this.q.tcfRecvTimeoutMs : CARRIER_WAIT_MS);
    if (r === 'CONNECT') {
      const block = await this.readBlock(expect === 'tcf' ? FRAME_TIMEOUT_MS : PAGE_TIMEOUT_MS);
      this.last = 'rx';
      this.errorsInARow = 0;
      if (expect === 'tcf' || !this.rxEcm) {
        // TCF: zeros either way; page data: line order (LSB first) to the engine's MSB first.
        this.feed({ type: 'image-data', data: expect === 'tcf' ? block.data : reverseBits(block.data) });
        this.feed({ type: 'image-end' });
      } else {
        for (const { frame, ok } of octetsToHdlc(block.data)) this.feed({ type: 'hdlc', frame, ok, fast: true });
      }
      // Whatever comes after TCF, a page or an ECM block is on V.21 (CFR's answer, PPS, MPS/EOP).
      this.expect = 'hdlc';
      return;
    }
    this.heardNothing();
    if (r === '+FCERROR') {
      // T.31: V.21 is on the line instead (a repeated DCS, a post-page command, DCN): listen
      // for it at once, as the frame is already arriving.
      this.expect = 'hdlc';
      return;
    }
    if (r === 'timeout' && expect === 'tcf') {
      // The modem never trained on the TCF (a noisy line defeats V.17 training before V.21's
      // DCS): that is a failed training, and T.30 §5.3.6.1.4 answers it with FTT, so the sender
      // steps down a rate at once instead of repeating DCS at the same rate until it gives up
      // (seen over a noisy line: three DCS at V.17 14400, then "no response to DCS"). HylaFAX
      // does the same when its +FRM for TCF fails (Class1TCFRecvTimeout). An empty TCF makes the
      // engine's own judgement say FTT: no zeros arrived.
      this.log(`no TCF carrier within ${this.q.tcfRecvTimeoutMs} ms: a failed training`);
      this.feed({ type: 'image-data', data: new Uint8Array(0) });
      this.feed({ type: 'image-end' });
      this.expect = 'hdlc';
      return;
    }
    await this.noFrame(r);
  }

  /** Sends a receive command; its outcome, 'aborted' when a timer interrupted, 'timeout' when none came. */
  private async carrierCommand(cmd: string, timeoutMs: number): Promise<string> {
    this.awaitingCarrier = true;
    this.abortedByTimer = false;
    try {
      const r = await this.ch.command(cmd, { timeoutMs, onConnect: 'receive' });
      if (r.result === 'CONNECT') this.inData = true;
      if (this.abortedByTimer && r.result !== 'CONNECT') return 'aborted';
      return r.result;
    } catch (err) {
      if (this.ch.closed) throw err;
      return 'timeout';
    } finally {
      this.awaitingCarrier = false;
    }
  }

  private async readBlock(timeoutMs: number): Promise<{ data: Uint8Array; result: string }> {
    this.inData = true;
    try {
      return await this.ch.readData(timeoutMs);
    } catch (err) {
      if (this.ch.closed) throw err;
      return { data: new Uint8Array(0), result: 'timeout' };
    } finally {
      this.inData = false;
    }
  }

  private async readFrame(): Promise<void> {
    const block = await this.readBlock(FRAME_TIMEOUT_MS);
    this.last = 'rx';
    this.inTransmission = false;
    if (block.data.length === 0) {
      await this.noFrame(block.result);
      return;
    }
    this.errorsInARow = 0;
    const { frame } = splitFcs(block.data);
    // T.30 §5.3.5: control field 0x03 (final bit clear): more frames follow in this transmission.
    this.inTransmission = block.result === 'OK' && frame.length >= 3 && (frame[1] & 0x10) === 0;
    this.noteReceivedFrame(frame, block.result === 'OK');
    this.feed({ type: 'hdlc', frame, ok: block.result === 'OK', fast: false });
  }

  /** What the far end's frame says comes next (the receiver's side of T.30 Figure 5-2). */
  private noteReceivedFrame(frame: Uint8Array, ok: boolean): void {
    const f = parseFrame(frame);
    if (!f || !ok) return;
    const fcf = fcfBase(f.fcf);
    if (fcf === FCF.DCS) {
      const p = parseDcs(f.fif);
      if (p) {
        this.rxModulation = p.modulation;
        this.rxEcm = p.ecm;
        this.expect = 'tcf';
      }
    } else if (fcf === FCF.CTC) {
      this.rxModulation = rateOf(f.fif) ?? this.rxModulation;
    } else if (fcf === FCF.PPS && f.fif.length > 0) {
      this.lastPostPage = fcfBase(f.fif[0]);
    } else if (fcf === FCF.EOR && f.fif.length > 0) {
      this.lastEorFcf2 = fcfBase(f.fif[0]);
    } else if (fcf === FCF.MPS || fcf === FCF.EOP || fcf === FCF.EOM || fcf === FCF.PRI_MPS || fcf === FCF.PRI_EOP || fcf === FCF.PRI_EOM) {
      this.lastPostPage = fcf;
    }
  }

  /**
   * A receive command ended without data (our abort, a timeout, NO CARRIER, ERROR): the far end
   * may have started transmitting meanwhile (a late response to the command a timer now has us
   * repeat), so what we send next waits for silence first (the switching command, T.30
   * §5.3.2.4), not only for our own pause: two stations talking at once hear neither.
   */
  private heardNothing(): void {
    this.last = 'rx';
  }

  /**
   * No frame: NO CARRIER (nothing heard, or the far end hung up), ERROR (iaxmodem: no call), a
   * timeout, or our own abort. The engine's timers decide what that means; a modem that keeps
   * answering ERROR has lost the call.
   */
  private async noFrame(result: string): Promise<void> {
    if (result === 'aborted' || result === 'OK') return;
    if (result === 'ERROR') {
      if (++this.errorsInARow >= LINE_LOST_ERRORS) {
        this.lineLost = `the modem answered ERROR to ${LINE_LOST_ERRORS} receive commands in a row (no call)`;
        this.log(this.lineLost);
        return;
      }
    }
    // Do not spin on a modem that answers at once: the engine's timers are seconds long.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
