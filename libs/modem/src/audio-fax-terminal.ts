// The audio line driver: runs a sans-IO T.30 engine over 8 kHz audio with faxgate's own modems
// (V.21 channel 2 HDLC for control, V.27 ter, V.29 or V.17 for TCF and pages), the audio counterpart
// of the T.38 terminal. Itself sans-IO: time is the count of samples received, so the same
// code runs in simulated time against a lockstep peer or paced by RTP on a real call.
import { parseDcs, parseFrame, type T30Result, type Modulation, type T30Action, type T30Engine, type T30Event, type TimerName } from '@faxgate/t30';
import { HdlcReceiver, HdlcTransmitter, preambleFlags } from './hdlc.ts';
import type { GetBit, ModemReceiver, ModemReceiverEvents, ModemTransmitter } from './qam-types.ts';
import { CED, CNG, ToneGenerator } from './tones.ts';
import { V21Receiver, V21Transmitter } from './v21.ts';
import { V27terReceiver } from './v27ter-rx.ts';
import { V27terTransmitter } from './v27ter-tx.ts';
import { V29Receiver } from './v29-rx.ts';
import { V29Transmitter } from './v29-tx.ts';
import { V17Receiver } from './v17-rx.ts';
import { V17Transmitter } from './v17-tx.ts';

const FS = 8000;
/** T.30 §5.3.2.4 / §5.3.6.2.2: 75 ± 20 ms of silence before TCF, and between signals. */
const GAP_MS = 75;
/** V.29 §4 segment 1: the training starts with 48 symbol intervals (20 ms) of no energy. */
const V29_LEADING_SILENCE_MS = 20;
/** T.30 (answering station): at least 0.2 s of silence after answering, before CED. */
const ANSWER_DELAY_MS = 200;
/** T.30 §5.3.1: flags for 1 s ± 15 % before the first V.21 frame. */
const V21_PREAMBLE_FLAGS = preambleFlags(300);
/** T.30 §A.3.1 (ECM on a high-speed modem): 200 ms of flags before the first frame. */
const FAST_PREAMBLE_S = 0.2;
/**
 * T.30 is half duplex: while we send, and for 40 ms after (the line's echo path; the far end
 * answers no sooner than 75 - 20 ms), our receivers hear silence instead of our own echo.
 */
const ECHO_TAIL_MS = 40;
/** How long a V.17 signal carrying ECM frames that goes away in its middle is waited for. */
const ECM_HOLD_MS = 1000;
/** Zero bits after page data, so the far demodulator's delay does not swallow the RTC. */
const TAIL_BITS = 48;

/** The image modems this terminal can send and receive: list only these in the T.30 config. */
export const AUDIO_MODEMS: ReadonlyArray<Modulation['modem']> = ['v27ter', 'v29', 'v17'];

export interface AudioFaxTerminalOptions {
  engine: T30Engine;
  /** Calling stations send CNG, called ones CED (T.30 §5.2 tonal signals). */
  calling: boolean;
  /** Transmit level, dBm0; default -13. */
  levelDbm0?: number;
  log?: (line: string) => void;
  onAction?: (action: T30Action) => void;
}

/** One signal on the line: a source of samples that ends. */
type Segment = { kind: 'silence'; samples: number } | { kind: 'modem'; make: () => ModemTransmitter; what: string };

/** Bits of `data`, first transmitted bit in the most significant bit of each octet, then zeros. */
function msbFirstBits(data: Uint8Array, tail: number): GetBit {
  let i = 0;
  const n = data.length * 8;
  return () => {
    if (i < n) {
      const b = (data[i >> 3] >> (7 - (i & 7))) & 1;
      i++;
      return b;
    }
    return i++ < n + tail ? 0 : -1;
  };
}

/**
 * Drives one call over audio. Call {@link generate} and {@link receive} once per block (e.g.
 * 160 samples every 20 ms), in either order; `result` is set when the engine ends the call,
 * and `finished` once the last signal has been sent too.
 */
export class AudioFaxTerminal {
  private readonly o: AudioFaxTerminalOptions;
  private readonly level: number;
  private now = 0;
  private readonly timers = new Map<TimerName, number>();
  private readonly queue: Segment[] = [];
  private current: ModemTransmitter | undefined;
  private silenceLeft = 0;
  private busy = false;
  private cng: ToneGenerator | undefined;
  private started = false;
  private callResult: T30Result | undefined;
  // receive side
  private readonly v21: V21Receiver;
  private readonly v21Hdlc: HdlcReceiver;
  private image: ModemReceiver | undefined;
  private imageModulation: Modulation | undefined;
  private imageEcm = false;
  private imageHdlc: HdlcReceiver | undefined;
  private imageTrained = false;
  private imageSeenZero = false;
  private imageBits = 0;
  private imageNBits = 0;
  private imageBytes: number[] = [];
  private imageGotData = false;
  private dcsHeard = false;
  private muteUntil = 0;
  private v21Framing = false;
  private quiet = new Int16Array(160);
  /** V.17 rate of the last TCF sent: what follows at that rate may use the short train. */
  private v17TxTrainedRate = 0;
  /** The last V.17 receiver: a short train starts from its equaliser. */
  private lastV17: { rate: number; rx: V17Receiver } | undefined;

  constructor(o: AudioFaxTerminalOptions) {
    this.o = o;
    this.level = o.levelDbm0 ?? -13;
    this.v21Hdlc = new HdlcReceiver({
      onFrame: (frame, ok) => this.onV21Frame(frame, ok),
      // Flags in a row: the far end is sending V.21 HDLC, whatever an image receiver makes of
      // it (a V.27 ter receiver can train on V.21); its bits are not image data.
      onFramingOk: () => {
        this.v21Framing = true;
        this.dropImage();
        // A V.17 receiver holding its signal through a gap could take this V.21 signal for it.
        if (this.image instanceof V17Receiver) this.image.release();
      },
    });
    this.v21 = new V21Receiver({}, {
      bit: (b) => this.v21Hdlc.putBit(b),
      carrier: (up) => {
        this.o.log?.(`${this.t()} V.21 carrier ${up ? 'up' : 'down'}`);
        if (up) this.cng = undefined; // CNG (T.30 §5.2) until the called station answers
        else {
          this.v21Hdlc.reset();
          this.v21Framing = false;
          // TCF follows the far end's DCS: listen afresh once that V.21 signal has ended (not
          // at every drop: a V.29 or V.27 ter signal can raise and drop V.21's carrier).
          if (this.dcsHeard) {
            this.dcsHeard = false;
            // T.30 §5.3.6.2.2: TCF is plain zeros, with or without ECM.
            this.armImage(false);
          }
        }
      },
    });
  }

  /** The call's result once the engine ended it. */
  get result(): T30Result | undefined {
    return this.callResult;
  }

  /** The engine ended the call and everything it asked to send has been sent. */
  get finished(): boolean {
    return this.callResult !== undefined && !this.busy;
  }

  /** Milliseconds of line time so far (samples received). */
  get timeMs(): number {
    return (this.now * 1000) / FS;
  }

  /** The next block of line audio; always fills `out` (silence or CNG when idle). */
  generate(out: Int16Array): void {
    if (!this.started) this.begin();
    let i = 0;
    while (i < out.length) {
      if (this.silenceLeft > 0) {
        const n = Math.min(this.silenceLeft, out.length - i);
        out.fill(0, i, i + n);
        this.silenceLeft -= n;
        i += n;
        continue;
      }
      if (this.current) {
        const want = out.length - i;
        const n = this.current.generate(out.subarray(i, out.length));
        i += n;
        this.muteUntil = this.now + i + (ECHO_TAIL_MS * FS) / 1000;
        if (n < want) this.current = undefined;
        continue;
      }
      const next = this.queue.shift();
      if (next) {
        if (next.kind === 'silence') this.silenceLeft = next.samples;
        else {
          this.o.log?.(`${this.t()} tx ${next.what}`);
          this.current = next.make();
        }
        continue;
      }
      // Idle: everything asked has gone out.
      if (this.busy) {
        this.busy = false;
        // After our CFR or MCF the far end's page comes (T.30 Annex A: HDLC frames with ECM).
        this.armImage(this.imageEcm);
        this.feed({ type: 'sent' });
        continue;
      }
      const rest = out.subarray(i);
      if (this.cng) {
        const n = this.cng.generate(rest);
        rest.fill(0, n);
      } else rest.fill(0);
      i = out.length;
    }
  }

  /** The next block of audio heard from the line; advances the terminal's clock. */
  receive(samples: Int16Array): void {
    if (!this.started) this.begin();
    let heard = samples;
    if (this.now < this.muteUntil) {
      heard = this.quiet.length === samples.length ? this.quiet : (this.quiet = new Int16Array(samples.length));
      const keep = Math.max(0, this.muteUntil - this.now);
      // Only the part of the block after the mute ends is heard.
      if (keep < samples.length) {
        heard = samples.slice();
        heard.fill(0, 0, keep);
      }
    }
    this.v21.receive(heard);
    this.image?.receive(heard);
    this.flushImageBytes();
    this.now += samples.length;
    for (const [name, due] of [...this.timers]) {
      // T.30 §5.4.3.1-2: T2 and T4 bound the wait for a signal to begin; once its flags are
      // being received the whole frame sequence is awaited (a line with a second of round-trip
      // delay otherwise times out between TSI and DCS). They fire once that carrier has gone.
      if ((name === 'T2' || name === 'T4') && this.v21Framing) continue;
      if (due <= this.now && this.timers.get(name) === due) {
        this.timers.delete(name);
        this.feed({ type: 'timer', name });
      }
    }
  }

  private t(): string {
    return `[${(this.now / FS).toFixed(2)} s]`;
  }

  private begin(): void {
    this.started = true;
    if (this.o.calling) {
      this.cng = new ToneGenerator({ ...CNG, level: this.level });
    } else {
      this.push({ kind: 'silence', samples: (ANSWER_DELAY_MS * FS) / 1000 });
      this.push({ kind: 'modem', what: 'CED', make: () => new ToneGenerator({ ...CED, level: this.level }) });
    }
    this.feed({ type: 'start' });
  }

  private push(s: Segment): void {
    this.queue.push(s);
    this.busy = true;
  }

  private feed(event: T30Event): void {
    if (this.callResult) return;
    for (const action of this.o.engine.handle(event)) this.perform(action);
  }

  private perform(a: T30Action): void {
    this.o.onAction?.(a);
    switch (a.type) {
      case 'log':
        this.o.log?.(`${this.t()} ${a.text}`);
        break;
      case 'start-timer':
        this.timers.set(a.name, this.now + Math.round((a.ms * FS) / 1000));
        break;
      case 'stop-timer':
        this.timers.delete(a.name);
        break;
      case 'send-hdlc':
        this.queueHdlc(a.frames, a.modulation);
        break;
      case 'send-tcf': {
        const bits = Math.round((a.modulation.bps * a.ms) / 1000);
        let i = 0;
        this.queueImage(a.modulation, () => (i++ < bits ? 0 : -1), 'TCF');
        // V.17 over T.30: TCF goes with the long train, the image after it with the short one.
        this.v17TxTrainedRate = a.modulation.modem === 'v17' ? a.modulation.bps : 0;
        break;
      }
      case 'send-image':
        this.queueImage(a.modulation, msbFirstBits(a.data, TAIL_BITS), `page data (${a.data.length} octets)`);
        break;
      case 'page-received':
      case 'page-confirmed':
        break;
      case 'call-ended':
        this.callResult = a.result;
        this.timers.clear();
        break;
    }
  }

  private queueHdlc(frames: Uint8Array[], modulation: Modulation | undefined): void {
    this.push({ kind: 'silence', samples: (GAP_MS * FS) / 1000 });
    const hdlc = new HdlcTransmitter({ preambleFlags: modulation ? preambleFlags(modulation.bps, FAST_PREAMBLE_S) : V21_PREAMBLE_FLAGS });
    for (const f of frames) hdlc.sendFrame(f);
    hdlc.finish();
    const getBit = () => hdlc.nextBit();
    if (!modulation) {
      this.push({ kind: 'modem', what: `V.21 HDLC, ${frames.length} frame(s)`, make: () => new V21Transmitter({ getBit, levelDbm0: this.level }) });
    } else {
      const shortTrain = modulation.modem === 'v17' && this.v17TxTrainedRate === modulation.bps;
      this.push({ kind: 'modem', what: `${modulation.modem} HDLC, ${frames.length} frame(s)${shortTrain ? ' (short train)' : ''}`, make: () => this.imageTransmitter(modulation, getBit, shortTrain) });
    }
  }

  private queueImage(m: Modulation, getBit: GetBit, what: string): void {
    // The silence on the line is the gap plus whatever silence the training begins with.
    const gap = GAP_MS - (m.modem === 'v29' ? V29_LEADING_SILENCE_MS : 0);
    this.push({ kind: 'silence', samples: (gap * FS) / 1000 });
    const shortTrain = what !== 'TCF' && m.modem === 'v17' && this.v17TxTrainedRate === m.bps;
    this.push({ kind: 'modem', what: `${m.modem} ${m.bps} ${what}${shortTrain ? ' (short train)' : ''}`, make: () => this.imageTransmitter(m, getBit, shortTrain) });
  }

  private imageTransmitter(m: Modulation, getBit: GetBit, shortTrain = false): ModemTransmitter {
    if (m.modem === 'v17') return new V17Transmitter({ rate: m.bps as 14400 | 12000 | 9600 | 7200, getBit, shortTrain, levelDbm0: this.level });
    if (m.modem === 'v29') return new V29Transmitter({ rate: m.bps as 9600 | 7200, getBit, levelDbm0: this.level });
    if (m.modem === 'v27ter') return new V27terTransmitter({ rate: m.bps as 4800 | 2400, getBit, levelDbm0: this.level });
    // An engine configured with a modem we lack: send nothing, so that T.30 fails the call on
    // its timers instead of the line driver throwing mid-call. Configure the engine with
    // AUDIO_MODEMS to avoid this.
    this.o.log?.(`${this.t()} cannot send ${m.modem}: not one of ${AUDIO_MODEMS.join(', ')}`);
    return { generate: () => 0 };
  }

  private onV21Frame(frame: Uint8Array, ok: boolean): void {
    this.o.log?.(`${this.t()} rx V.21 frame ${Buffer.from(frame).toString('hex')}${ok ? '' : ' (bad FCS)'}`);
    const f = ok ? parseFrame(frame) : undefined;
    // T.30 §5.3.6.2.1: DCS announces the image modem that will follow; listen for it.
    if (f && (f.fcf & 0xfe) === 0x82) {
      const p = parseDcs(f.fif);
      if (p) {
        this.imageModulation = p.modulation;
        this.imageEcm = p.ecm;
        this.dcsHeard = true;
      }
    }
    this.feed({ type: 'hdlc', frame, ok, fast: false });
  }

  /**
   * A fresh image receiver for the modulation of the last DCS, started in the silence before
   * the far end's signal (a receiver that heard the V.21 signal end may miss the training);
   * `hdlc` for ECM page frames, raw bits for TCF and non-ECM pages.
   */
  private armImage(hdlc: boolean): void {
    const m = this.imageModulation;
    if (!m || this.callResult) return;
    // Whatever the previous receiver collected since its signal ended is not the signal awaited.
    this.dropImage();
    this.imageHdlc = hdlc
      ? new HdlcReceiver({
          onFrame: (frame, ok) => {
            if (!ok) this.o.log?.(`${this.t()} rx ${m.modem} frame with bad FCS`);
            this.feed({ type: 'hdlc', frame, ok, fast: true });
          },
        })
      : undefined;
    const events: ModemReceiverEvents = {
      carrier: (up) => {
        this.o.log?.(`${this.t()} ${m.modem} carrier ${up ? 'up' : 'down'}`);
        if (up) return;
        this.imageTrained = false;
        this.imageHdlc?.reset();
        this.endImage();
      },
      training: (ok, q) => {
        this.o.log?.(`${this.t()} ${m.modem} training ${ok ? 'ok' : 'failed'}, ${q.powerDbm0.toFixed(1)} dBm0, SNR ${q.snrDb.toFixed(1)} dB`);
        this.imageTrained = ok && !this.v21Framing;
        this.imageSeenZero = false;
        this.imageBits = 0;
        this.imageNBits = 0;
      },
      bit: (b) => this.onImageBit(b),
    };
    if (m.modem === 'v17') {
      // A short train has no time to train an equaliser: start from the last one at this rate.
      const equalizer = this.lastV17?.rate === m.bps ? this.lastV17.rx.equalizer() : undefined;
      // An ECM block can last half a minute: a signal lost for a moment in its middle (lost RTP
      // packets) is held and followed on, or the rest of the block would be lost and T2 (T.30
      // §5.4.3.2: 6 s from the last frame) would end the call before the PPS.
      const holdMs = hdlc ? ECM_HOLD_MS : 0;
      const rx = new V17Receiver({ rate: m.bps as 14400 | 12000 | 9600 | 7200, equalizer, holdMs }, events);
      this.lastV17 = { rate: m.bps, rx };
      this.image = rx;
    } else if (m.modem === 'v29') this.image = new V29Receiver({ rate: m.bps as 9600 | 7200 }, events);
    else if (m.modem === 'v27ter') this.image = new V27terReceiver({ rate: m.bps as 4800 | 2400 }, events);
    else {
      this.image = undefined;
      this.o.log?.(`${this.t()} cannot receive ${m.modem}`);
    }
  }

  /** Forgets the image data being collected, without telling the engine it ended. */
  private dropImage(): void {
    this.imageTrained = false;
    this.imageBytes = [];
    this.imageGotData = false;
    this.imageNBits = 0;
  }

  private onImageBit(b: number): void {
    if (!this.imageTrained || this.v21Framing) return;
    if (this.imageHdlc) {
      this.imageHdlc.putBit(b);
      return;
    }
    // The scrambled ones after the training (V.29 §4 segment 4, V.27 ter §2.5 segment 5)
    // descramble to 1s; T.4 page data and TCF both start with a 0.
    if (!this.imageSeenZero) {
      if (b) return;
      this.imageSeenZero = true;
    }
    this.imageBits = (this.imageBits << 1) | b;
    if (++this.imageNBits === 8) {
      this.imageBytes.push(this.imageBits & 0xff);
      this.imageBits = 0;
      this.imageNBits = 0;
    }
  }

  private flushImageBytes(): void {
    if (this.imageBytes.length === 0) return;
    const data = Uint8Array.from(this.imageBytes);
    this.imageBytes = [];
    this.imageGotData = true;
    this.feed({ type: 'image-data', data });
  }

  private endImage(): void {
    this.flushImageBytes();
    if (!this.imageGotData) return;
    this.imageGotData = false;
    this.feed({ type: 'image-end' });
  }
}
