// ITU-T V.17 receiver: acquires the training sequence (timing, gain and carrier phase on the
// A/B alternations of segment 1, the equaliser on the known scrambled sequence of segment 2 and
// on the bridge of segment 3), tells the long train from the short one by whether segment 2
// goes on past its short length, then decodes the trellis code with a Viterbi decoder, undoes
// the differential encoding, and descrambles (1 + x^-18 + x^-23).
import type { ModemReceiver, ModemReceiverEvents, SignalQuality } from './qam-types.ts';
import { QamReceiverCore, type SymbolStage } from './qam-receiver.ts';
import { V29Scrambler } from './scrambler.ts';
import { V17Viterbi } from './v17-viterbi.ts';
import {
  V17_A,
  V17_B,
  V17_BITS_PER_SYMBOL,
  V17_CONDITIONING_POINTS,
  V17_CONSTELLATIONS,
  V17_SEGMENTS,
  V17_TRAINING_ENERGY,
  V17_TRAINING_SCRAMBLER_STATE,
  v17MeanEnergy,
  type V17Rate,
} from './v17-constellation.ts';

const Stage = {
  /** Timing and gain settle on the alternations. */
  Settle: 0,
  /** Carrier phase from which of A and B is which. */
  Phase: 1,
  /** Equaliser trained on the known alternation until segment 2 starts. */
  TrainAB: 2,
  /** Segment 2: equaliser trained on the known scrambled sequence. */
  Conditioning: 3,
  /** Segment 3 (long train only): the bridge, equaliser on decisions among A, B, C, D. */
  Bridge: 4,
  Data: 5,
  Failed: 6,
} as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/** Angle between successive A/B elements accepted as segment 1 (90° nominal), radians. */
const AB_MIN = (60 * Math.PI) / 180;
const AB_MAX = (120 * Math.PI) / 180;
/** Symbols of alternations used for the phase estimate. */
const PHASE_SYMBOLS = 16;
/** Segment 2 elements past the short length looked at to tell a long train (most follow the known sequence) from data. */
const LONG_EVIDENCE = 8;
/**
 * Equaliser error (relative to the data energy) above which training has failed, about where
 * each rate's uncoded decisions would pass an error rate of 1e-2.
 */
const TRAINING_MAX_MSE: Record<V17Rate, number> = { 14400: 0.02, 12000: 0.035, 9600: 0.06, 7200: 0.1 };
/**
 * Equaliser length in T/2 taps (12 symbols, as V.29's): 32 gave the same bit-error rates in
 * bench/fast-modems (BER 1e-5 from 20.5 dB at 14400) and the telephone-line band test, at a
 * third more of the equaliser's work, run and adapted every symbol.
 */
const TAPS = 24;
/** Symbols of segment 4 whose bits are not delivered (see `out`). */
const WARMUP_SYMBOLS = 16;

export interface V17ReceiverOptions {
  rate: V17Rate;
  /**
   * Equaliser of an earlier receiver of the same call (its {@link V17Receiver.equalizer}): a
   * short train is too short to train one from nothing.
   */
  equalizer?: { coefficients: Float64Array; mse: number };
  onDbm0?: number;
  offDbm0?: number;
  /**
   * Once data flows, a signal that goes away (a burst of lost RTP packets, filled with silence) is
   * waited for this long with the receiver's state kept, and followed on from where it stopped
   * when it comes back: the rest of an ECM block is not lost (no training comes in the middle of
   * a signal). 0 (the default): the carrier is reported down at once.
   */
  holdMs?: number;
}

/** Symbols after a resumption by which the equaliser's error must be back under the training limit. */
const RESUME_CHECK = 120;

export class V17Receiver implements ModemReceiver, SymbolStage {
  private readonly core: QamReceiverCore;
  private readonly rate: V17Rate;
  private readonly bps: number;
  private readonly points: Int8Array;
  private readonly descrambler = new V29Scrambler();
  /** The transmitter's training scrambler, to predict segment 2. */
  private readonly training = new V29Scrambler();
  private readonly viterbi: V17Viterbi;
  private readonly events: ModemReceiverEvents;
  private trained: Float64Array | undefined;
  private trainedMse = 1;
  private stage: Stage = Stage.Settle;
  private count = 0;
  private evidence = 0;
  /** Segment 2 elements past the short length, held until it is known whether they are data. */
  private readonly held: number[] = [];
  private accRe = 0;
  private accIm = 0;
  private lastRe = 0;
  private lastIm = 0;
  private lastWasB = false;
  private prevY = 0;
  private warmup = 0;
  private readonly warmupBits: number;
  private readonly holdSamples: number;
  /** Symbols since the signal came back after a hold (−1: none). */
  private sinceResume = -1;

  constructor(o: V17ReceiverOptions, events: ModemReceiverEvents) {
    this.rate = o.rate;
    this.bps = V17_BITS_PER_SYMBOL[o.rate];
    this.points = V17_CONSTELLATIONS[o.rate];
    this.warmupBits = Math.max(23, WARMUP_SYMBOLS * this.bps);
    this.holdSamples = Math.round(((o.holdMs ?? 0) * 8000) / 1000);
    this.trained = o.equalizer?.coefficients;
    if (o.equalizer) this.trainedMse = o.equalizer.mse;
    this.events = events;
    this.viterbi = new V17Viterbi(this.points, (label) => this.label(label));
    // The decoder lags the line by its traceback depth: flush it when the signal ends.
    const coreEvents: ModemReceiverEvents = {
      ...events,
      carrier: (up) => {
        if (!up && this.stage === Stage.Data) this.viterbi.flush();
        events.carrier?.(up);
      },
    };
    // A matched filter over 10 symbols: bench/fast-modems found the same bit-error rates as
    // over 12 (BER 1e-5 at the same SNR), and it is a sixth of the receiver's work less.
    this.core = new QamReceiverCore(
      { baud: 2400, carrierHz: 1800, rolloff: 0.25, span: 10, taps: TAPS, trainingEnergy: V17_TRAINING_ENERGY, dataEnergy: v17MeanEnergy(o.rate), onDbm0: o.onDbm0, offDbm0: o.offDbm0 },
      coreEvents,
      this,
    );
  }

  receive(samples: Int16Array): void {
    this.core.receive(samples);
  }

  quality(): SignalQuality {
    return this.core.quality();
  }

  /** The equaliser as trained by the last successful training, and its error, for a later short train. */
  equalizer(): { coefficients: Float64Array; mse: number } | undefined {
    return this.trained && { coefficients: this.trained, mse: this.trainedMse };
  }

  /**
   * The signal is over whatever the receiver makes of it (the terminal heard V.21 flags: the far
   * end has moved on): a held or resumed signal is given up and the carrier reported down.
   */
  release(): void {
    if (this.stage !== Stage.Data) return;
    this.sinceResume = -1;
    this.viterbi.flush();
    this.core.release();
  }

  /** For the core: the signal went away in the middle of the data; what the decoder holds is decided now. */
  hold(): void {
    this.viterbi.flush();
  }

  /** For the core: the signal is back within the hold; the trellis path starts afresh. */
  resume(): void {
    this.viterbi.reset();
    this.sinceResume = 0;
  }

  /** For the core: a new signal starts. */
  restart(): void {
    this.sinceResume = -1;
    if (this.stage === Stage.Data) this.viterbi.flush();
    this.stage = Stage.Settle;
    this.count = 0;
    this.accRe = 0;
    this.accIm = 0;
    this.held.length = 0;
    this.descrambler.reset();
    this.training.preset(V17_TRAINING_SCRAMBLER_STATE);
    if (this.trained) {
      this.core.eq.setCoefficients(this.trained);
      // The error figure too starts from what that training reached: from 1, the few symbols
      // of a short train would not bring it down to the signal's true quality.
      this.core.mse = this.trainedMse;
    }
  }

  private setTarget(p: readonly [number, number]): void {
    this.core.dRe = p[0];
    this.core.dIm = p[1];
  }

  /** The next element of segment 2 as the transmitter's scrambler makes it. */
  private nextConditioning(): readonly [number, number] {
    const b0 = this.training.scramble(1);
    const b1 = this.training.scramble(1);
    return V17_CONDITIONING_POINTS[(b0 << 1) | b1];
  }

  /** For the core: one equalised, carrier-corrected symbol. */
  symbol(): void {
    const zr = this.core.zr;
    const zi = this.core.zi;
    switch (this.stage) {
      case Stage.Settle:
        if (this.core.agcReady && this.core.symbols > 40) this.stage = Stage.Phase;
        break;
      case Stage.Phase:
        this.phase(zr, zi);
        break;
      case Stage.TrainAB: {
        const isB = !this.lastWasB;
        const t = isB ? V17_B : V17_A;
        const dt = (zr - t[0]) ** 2 + (zi - t[1]) ** 2;
        const c = V17_CONDITIONING_POINTS[0];
        const dc = (zr - c[0]) ** 2 + (zi - c[1]) ** 2;
        if (dc < dt) {
          // Segment 2 has begun; its first element is always C (the scrambler's known state).
          this.stage = Stage.Conditioning;
          this.count = 0;
          this.evidence = 0;
          this.core.loop.setGain(0.05);
          this.core.timing.setGains(0.01, 0.00005);
          this.conditioning(zr, zi);
          break;
        }
        this.lastWasB = isB;
        this.setTarget(t);
        this.core.mu = 0.05;
        this.core.track = true;
        break;
      }
      case Stage.Conditioning:
        this.conditioning(zr, zi);
        break;
      case Stage.Bridge:
        this.bridge(zr, zi);
        break;
      case Stage.Data:
        this.data(zr, zi);
        break;
      case Stage.Failed:
        break;
    }
    this.lastRe = zr;
    this.lastIm = zi;
  }

  private phase(zr: number, zi: number): void {
    // B (−71.6°) follows A (−161.6°) by +90°, A follows B by −90°.
    const cross = zi * this.lastRe - zr * this.lastIm;
    const dot = zr * this.lastRe + zi * this.lastIm;
    const isB = cross > 0;
    const apart = Math.abs(Math.atan2(cross, dot));
    if (apart < AB_MIN || apart > AB_MAX || (this.count > 0 && isB === this.lastWasB)) {
      this.count = 0;
      this.accRe = 0;
      this.accIm = 0;
    }
    const t = isB ? V17_B : V17_A;
    this.accRe += zr * t[0] + zi * t[1];
    this.accIm += zi * t[0] - zr * t[1];
    this.lastWasB = isB;
    if (++this.count === PHASE_SYMBOLS) {
      this.core.loop.phase += Math.atan2(this.accIm, this.accRe);
      this.stage = Stage.TrainAB;
      this.count = 0;
      this.core.carrierUp();
    }
  }

  private conditioning(zr: number, zi: number): void {
    const n = this.count++;
    const t = this.nextConditioning();
    const window = n - V17_SEGMENTS.conditioningShort;
    if (window >= 0 && window < LONG_EVIDENCE) {
      // Past the short train's segment 2: still segment 2 (a long train) if most of these
      // elements are the ones the training scrambler predicts, else data. Held, and not
      // trained on, until that is known.
      this.held.push(zr, zi);
      if (this.nearestConditioning(zr, zi) === t) this.evidence++;
      if (window < LONG_EVIDENCE - 1) return;
      if (this.evidence < LONG_EVIDENCE - 2) {
        this.startData();
        for (let i = 0; i < this.held.length; i += 2) this.data(this.held[i], this.held[i + 1]);
        this.held.length = 0;
        return;
      }
      this.held.length = 0;
    }
    this.setTarget(t);
    this.core.track = true;
    // A large step at first pulls a fresh equaliser in, a smaller one then lets it settle.
    this.core.mu = this.trained && n < 200 ? 0.05 : n < 400 ? 0.2 : n < 1500 ? 0.05 : 0.02;
    if (this.count === V17_SEGMENTS.conditioningLong) {
      this.stage = Stage.Bridge;
      this.count = 0;
    }
  }

  private nearestConditioning(zr: number, zi: number): readonly [number, number] {
    let best = V17_CONDITIONING_POINTS[0];
    let bestD = Infinity;
    for (const p of V17_CONDITIONING_POINTS) {
      const d = (zr - p[0]) ** 2 + (zi - p[1]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  }

  private bridge(zr: number, zi: number): void {
    this.setTarget(this.nearestConditioning(zr, zi));
    this.core.mu = 0.02;
    this.core.track = true;
    if (++this.count === V17_SEGMENTS.bridge) this.startData();
  }

  private startData(): void {
    const ok = this.core.mse < TRAINING_MAX_MSE[this.rate];
    this.events.training?.(ok, this.core.quality());
    this.stage = ok ? Stage.Data : Stage.Failed;
    if (ok) {
      this.trained = this.core.eq.coefficients();
      this.trainedMse = this.core.mse;
    }
    this.core.loop.setGain(0.03);
    this.core.timing.setGains(0.005, 0.00002);
    this.viterbi.reset();
    this.warmup = 0;
    if (ok) this.core.holdSamples = this.holdSamples;
  }

  private data(zr: number, zi: number): void {
    // What came back after a hold must be this signal again: by then the equaliser's error is
    // back where training leaves it, or the signal is given up as ended. (The V.21 signal that
    // follows a block can pass this, its tone close to the carrier: the audio terminal gives the
    // signal up when it hears V.21's flags.)
    if (this.sinceResume >= 0 && ++this.sinceResume === RESUME_CHECK) {
      this.sinceResume = -1;
      if (this.core.mse > TRAINING_MAX_MSE[this.rate]) {
        this.viterbi.flush();
        this.core.release();
        return;
      }
    }
    // The equaliser and carrier loop follow the nearest point; the data waits for the Viterbi
    // decoder's decision.
    this.viterbi.zr = zr;
    this.viterbi.zi = zi;
    this.viterbi.push();
    const best = 2 * this.viterbi.nearest;
    this.core.dRe = this.points[best];
    this.core.dIm = this.points[best + 1];
    this.core.mu = 0.01;
    this.core.track = true;
  }

  /** One decoded label: the differential encoding undone on Y1 Y2, then Q1…Qn descrambled in line order. */
  private label(label: number): void {
    const y = (label >> 1) & 3;
    const q = (y - this.prevY) & 3;
    this.prevY = y;
    this.out(q & 1);
    this.out(q >> 1);
    for (let j = 2; j < this.bps; j++) this.out((label >> (j + 1)) & 1);
  }

  private out(line: number): void {
    const bit = this.descrambler.descramble(line);
    // The first decisions come from a decoder that does not know the encoder's state yet, and
    // the descrambler spreads each wrong line bit over 23 bits: hold back the first
    // WARMUP_SYMBOLS of segment 4 (48 symbols of scrambled ones), so that a receiver waiting for
    // the first 0 of the data is not misled.
    if (this.warmup < this.warmupBits) this.warmup++;
    else this.events.bit?.(bit);
  }
}
