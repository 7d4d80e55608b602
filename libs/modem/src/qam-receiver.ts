// Receiver machinery shared by the fast modems (V.27 ter and V.29; V.17 is to use it too):
// energy detection, demodulation with a fixed carrier, a root-raised-cosine matched filter at the
// sampling instants chosen by Gardner timing recovery (T/2 samples), automatic gain, a
// fractionally spaced LMS equaliser and a decision-directed carrier loop. Each modem supplies
// the symbol stage: what the training sequence looks like and how symbols become bits. The
// stage is a separate object rather than a subclass so that this class's hot code sees one
// object shape whichever modems a process runs (V8 slows down on mixed shapes).
import { CarrierLoop, CarrierOscillator, dbm0ForMeanSquare, rmsForDbm0 } from './carrier.ts';
import { ComplexEqualizer } from './equalizer.ts';
import { rootRaisedCosine } from './filters.ts';
import type { ModemReceiverEvents, SignalQuality } from './qam-types.ts';
import { GardnerTiming } from './timing-recovery.ts';

const RATE = 8000;
const RING = 512;
const MASK = RING - 1;
/** Matched-filter table resolution: steps per input sample (a power of two). */
const Q_BITS = 6;
const Q = 1 << Q_BITS;

export interface QamReceiverOptions {
  baud: number;
  carrierHz: number;
  rolloff: number;
  /** Matched filter length in symbols. */
  span: number;
  /** Equaliser length in T/2 taps. */
  taps: number;
  /** Mean energy of the symbols the gain is measured on (the start of the training). */
  trainingEnergy: number;
  /** Mean energy of the data constellation (for the SNR figure). */
  dataEnergy: number;
  /** Energy detector thresholds, dBm0 (default on above −43, off below −48; −43 dBm is the usual fax detection level). */
  onDbm0?: number;
  offDbm0?: number;
}

/** Symbols after signal detection from which the gain is measured (timing has settled), and over how many. */
const AGC_FROM = 12;
const AGC_SYMBOLS = 8;
/** Symbols of error figure kept (power of two), about 27 ms at 2400 baud. */
const MSE_HISTORY = 64;

/** What a modem adds to the core: its training sequence and its symbols-to-bits. */
export interface SymbolStage {
  /**
   * The core's (zr, zi) is the equalised, carrier-corrected symbol; set the core's decision, mu,
   * track. (Read from fields rather than passed: V8 boxes doubles passed to a call it does not
   * inline, and this call is polymorphic when a process runs several modems.)
   */
  symbol(): void;
  /** A new signal starts: the stage goes back to waiting for its training. */
  restart(): void;
  /** The signal went away with a hold set ({@link QamReceiverCore.holdSamples}): the core waits for it to come back. */
  hold?(): void;
  /** The signal came back within the hold: symbols follow on from where they stopped, with no training. */
  resume?(): void;
}

/**
 * The matched filter at Q phases, phase by phase (see {@link QamReceiverCore}'s `poly`), one
 * table per filter shared by every receiver of the process: a table takes about a millisecond
 * to compute, and the receivers of calls in step (a node's calls started together) are made in
 * the same turn of the loop.
 */
const matchedFilters = new Map<string, Float64Array>();
function matchedFilter(sps: number, half: number, rolloff: number): Float64Array {
  const key = `${sps}|${half}|${rolloff}`;
  let poly = matchedFilters.get(key);
  if (!poly) {
    const mf = new Float64Array(2 * half * Q + 1);
    for (let k = 0; k < mf.length; k++) mf[k] = rootRaisedCosine((k / Q - half) / sps, rolloff) / sps;
    const taps = 2 * half + 1;
    poly = new Float64Array(Q * taps);
    for (let p = 0; p < Q; p++) for (let j = 0; p + j * Q < mf.length; j++) poly[p * taps + j] = mf[p + j * Q];
    matchedFilters.set(key, poly);
  }
  return poly;
}

export class QamReceiverCore {
  readonly events: ModemReceiverEvents;
  readonly eq: ComplexEqualizer;
  readonly loop = new CarrierLoop(0.1);
  readonly timing = new GardnerTiming(0.05, 0.0001);
  private readonly stage: SymbolStage;
  private readonly sps: number;
  private readonly osc: CarrierOscillator;
  /** Demodulated samples, each written twice (at m and m + RING) so a filter window is contiguous. */
  private readonly ringRe = new Float64Array(2 * RING);
  private readonly ringIm = new Float64Array(2 * RING);
  /**
   * The matched filter at Q phases, phase by phase: poly[p·taps + j] = h at (p + j·Q)/Q input
   * samples, so one evaluation reads one contiguous run instead of one cache line per tap.
   */
  private readonly poly: Float64Array;
  private readonly mfTaps: number;
  private readonly half: number;
  private readonly onLevel: number;
  private readonly offLevel: number;
  private readonly trainingEnergy: number;
  readonly dataEnergy: number;
  private n = 0;
  private power = 0;
  /** Input power when acquisition (re)started, and when the signal was recognised. */
  private startPower = 0;
  private signalPower = 0;
  /** Lowest input power since the last signal ended. */
  private quietPower = 0;
  private active = false;
  private tNext = 0;
  private onTime = false;
  private havePrev = false;
  private pr = 0;
  private pi = 0;
  private mr = 0;
  private mi = 0;
  private agc = 1;
  private agcAcc = 0;
  private onEnergy = 0;
  private midEnergy = 0;
  /** Symbols since the signal was detected. */
  symbols = 0;
  agcReady = false;
  /** Running mean squared error of decided symbols, relative to the data energy. */
  mse = 1;
  /** The error figure over the last symbols, to undo what the signal's fading tail did to it. */
  private readonly mseHistory = new Float64Array(MSE_HISTORY);
  private mseAt = 0;
  reportedUp = false;
  /** The current equalised, carrier-corrected symbol, for the symbol stage. */
  zr = 0;
  zi = 0;
  /** Decision for the current symbol, set by the symbol stage. */
  dRe = 0;
  dIm = 0;
  /** LMS step for this symbol (0: no adaptation); whether the carrier loop follows it. */
  mu = 0;
  track = false;

  constructor(o: QamReceiverOptions, events: ModemReceiverEvents, stage: SymbolStage) {
    this.events = events;
    this.stage = stage;
    this.sps = RATE / o.baud;
    this.osc = new CarrierOscillator(o.carrierHz);
    this.half = Math.ceil((o.span / 2) * this.sps);
    this.mfTaps = 2 * this.half + 1;
    this.poly = matchedFilter(this.sps, this.half, o.rolloff);
    // NLMS normalised by at least a tenth of the delay line's power at the data level.
    this.eq = new ComplexEqualizer(o.taps, 0.1 * o.taps * o.dataEnergy);
    this.trainingEnergy = o.trainingEnergy;
    this.dataEnergy = o.dataEnergy;
    const on = rmsForDbm0(o.onDbm0 ?? -43);
    const off = rmsForDbm0(o.offDbm0 ?? -48);
    this.onLevel = on * on;
    this.offLevel = off * off;
  }

  quality(): SignalQuality {
    return {
      powerDbm0: dbm0ForMeanSquare(this.power),
      snrDb: -10 * Math.log10(Math.max(this.mse, 1e-9)),
      mse: this.mse,
    };
  }

  /** The stage recognised its signal: report the carrier. */
  carrierUp(): void {
    if (this.reportedUp) return;
    this.reportedUp = true;
    this.signalPower = this.power;
    this.events.carrier?.(true);
  }

  /** Starts acquisition afresh on the signal now arriving (a new segment after a gap). */
  resync(): void {
    this.start();
  }

  private start(): void {
    this.active = true;
    this.holding = false;
    this.holdSamples = 0;
    this.startPower = this.power;
    this.tNext = Math.max(this.tNext, this.n + this.half);
    this.onTime = false;
    this.havePrev = false;
    this.agc = 1;
    this.agcAcc = 0;
    this.onEnergy = 0;
    this.midEnergy = 0;
    this.agcReady = false;
    this.symbols = 0;
    this.mse = 1;
    this.mseAt = 0;
    this.eq.reset();
    this.loop.reset();
    this.loop.setGain(0.1);
    this.timing.reset();
    // Proportional only while the gain is unknown: the integrator would learn a rate from the
    // large errors of the first symbols.
    this.timing.setGains(0.05, 0);
    this.stage.restart();
  }

  /**
   * Samples for which a signal that went away in the middle (a burst of lost packets, a fade) is
   * waited for with the receiver's state kept; 0 (the default) reports the carrier down at once.
   * Set by the symbol stage once data flows.
   */
  holdSamples = 0;
  private holding = false;
  private heldAt = 0;

  /** Gives up the signal being held, or the one resumed, as ended. */
  release(): void {
    this.holding = false;
    this.holdSamples = 0;
    if (this.active) {
      this.active = false;
      this.quietPower = this.power;
    }
    if (this.reportedUp) {
      this.reportedUp = false;
      this.events.carrier?.(false);
    }
  }

  /**
   * The held signal is back: the equaliser, gain and carrier loop are kept, the sampling instant
   * moves on by whole symbols past the gap (the far end's clock ran on meanwhile; the ring holds
   * the gap's samples) and the carrier phase by the loop's frequency over them.
   */
  private resume(): void {
    this.holding = false;
    this.active = true;
    const n = this.n;
    const k = Math.max(0, Math.ceil((n - this.tNext) / this.sps));
    this.tNext += k * this.sps;
    this.loop.phase += k * this.loop.freq;
    this.loop.phase -= 2 * Math.PI * Math.round(this.loop.phase / (2 * Math.PI));
    this.havePrev = false;
    this.stage.resume?.();
  }

  private stop(): void {
    this.active = false;
    // The detector drops the carrier some 40 symbols into the fading tail (its power meter
    // falls 9 dB in 18 ms); report the quality the signal had before.
    if (this.mseAt >= MSE_HISTORY) this.mse = this.mseHistory[(this.mseAt - MSE_HISTORY + 1) & (MSE_HISTORY - 1)];
    this.quietPower = this.power;
    if (this.holdSamples > 0 && this.reportedUp) {
      this.holding = true;
      this.heldAt = this.n;
      this.stage.hold?.();
      return;
    }
    if (this.reportedUp) {
      this.reportedUp = false;
      this.events.carrier?.(false);
    }
  }

  receive(samples: Int16Array): void {
    const { ringRe, ringIm, osc, poly, mfTaps, half } = this;
    // The power meter and sample count live in locals through the loop, written back before
    // anything that reads them (start, stop, the next block).
    let power = this.power;
    let n = this.n;
    // The whole block is demodulated first: the ring holds RING samples, the filter reads at
    // most its span behind the newest, so a block of up to RING − span samples fits.
    if (samples.length > RING - this.mfTaps - 2) {
      for (let o = 0; o < samples.length; o += 160) this.receive(samples.subarray(o, Math.min(o + 160, samples.length)));
      return;
    }
    osc.mix(samples, ringRe, ringIm, n, MASK, RING);
    for (let j = 0; j < samples.length; j++, n++) {
      const x = samples[j];
      power += (x * x - power) * (1 / 64);
      if (!this.active) {
        // After a signal ends, its decaying tail must not start a new acquisition: re-arm once
        // the power is below the on threshold, or has risen 6 dB above its lowest since.
        if (power < this.quietPower) this.quietPower = power;
        if (power > this.onLevel && (this.quietPower < this.onLevel || power > 4 * this.quietPower)) {
          this.power = power;
          this.n = n;
          if (!this.holding) this.start();
          // Back to within 6 dB of the signal's level before resuming it: on its way up from the
          // gap the power would otherwise drop it again at once.
          else if (power > this.signalPower / 4) this.resume();
          else continue;
        } else {
          if (this.holding && n - this.heldAt > this.holdSamples) {
            this.power = power;
            this.n = n;
            this.release();
          }
          continue;
        }
      } else if (power < this.offLevel || (this.reportedUp && power < this.signalPower / 8)) {
        // Off below the absolute threshold, or 9 dB under the level the signal had when it was
        // recognised (line noise may stay above the absolute threshold).
        this.power = power;
        this.n = n;
        this.stop();
        continue;
      } else if (!this.reportedUp && power > 4 * this.startPower) {
        // Detection fired on noise and the signal is arriving now: acquire it afresh.
        this.power = power;
        this.n = n;
        this.start();
      }
      if (n >= this.tNext + half) {
        // Matched filter evaluated at the fractional instant tNext.
        const t = this.tNext;
        const first = Math.ceil(t - half);
        // Offset into the filter of the sample at `first`, in 1/Q samples: taps k, k − Q, … ≥ 0.
        const k = Math.round((t - first + half) * Q) | 0;
        const count = (k >> Q_BITS) + 1;
        let at = (k & (Q - 1)) * mfTaps + count - 1;
        // Two taps per step into separate sums: one sum's chain of dependent additions, not the
        // multiplications, was what bounded the loop.
        let re = 0;
        let im = 0;
        let re2 = 0;
        let im2 = 0;
        let i = first & MASK;
        for (const end = i + count - 1; i < end; i += 2, at -= 2) {
          const h = poly[at];
          const h2 = poly[at - 1];
          re += ringRe[i] * h;
          im += ringIm[i] * h;
          re2 += ringRe[i + 1] * h2;
          im2 += ringIm[i + 1] * h2;
        }
        if ((count & 1) !== 0) {
          const h = poly[at];
          re += ringRe[i] * h;
          im += ringIm[i] * h;
        }
        re += re2;
        im += im2;
        this.tNext += (this.sps / 2) * (1 + this.timing.rate);
        // Through fields, not arguments: doubles passed to a call that is not inlined are boxed.
        this.yr = re * this.agc;
        this.yi = im * this.agc;
        this.power = power;
        this.halfSymbol();
      }
    }
    this.power = power;
    this.n = n;
  }

  /** The matched filter's output at the latest T/2 instant. */
  private yr = 0;
  private yi = 0;

  private halfSymbol(): void {
    const yr = this.yr;
    const yi = this.yi;
    this.eq.push(yr, yi);
    if (!this.onTime) {
      this.mr = yr;
      this.mi = yi;
      this.onTime = true;
      return;
    }
    this.onTime = false;
    if (this.symbols < AGC_FROM) {
      // Gardner's detector has an unstable balance point half a symbol from the right one;
      // if the samples taken as mid-symbol carry more energy, take the other half instead.
      this.onEnergy += yr * yr + yi * yi;
      this.midEnergy += this.mr * this.mr + this.mi * this.mi;
      if (this.symbols === AGC_FROM - 1 && this.midEnergy > this.onEnergy) {
        this.onTime = true;
        this.mr = yr;
        this.mi = yi;
        this.symbols++;
        this.havePrev = false;
        return;
      }
    }
    if (this.havePrev) {
      this.tNext += this.timing.update(this.pr, this.pi, this.mr, this.mi, yr, yi) * this.sps;
    }
    this.havePrev = true;
    this.pr = yr;
    this.pi = yi;
    this.symbols++;
    if (!this.agcReady && this.symbols > AGC_FROM) {
      this.agcAcc += yr * yr + yi * yi;
      if (this.symbols === AGC_FROM + AGC_SYMBOLS) {
        this.agc = Math.sqrt(this.trainingEnergy / (this.agcAcc / AGC_SYMBOLS));
        this.timing.rescale(this.agc);
        this.eq.scaleInput(this.agc);
        this.timing.setGains(0.03, 0.00005);
        this.mr *= this.agc;
        this.mi *= this.agc;
        this.pr *= this.agc;
        this.pi *= this.agc;
        this.agcReady = true;
      }
    }
    this.eq.run();
    this.loop.rotate();
    const c = this.loop.cos;
    const s = this.loop.sin;
    const er = this.eq.outRe;
    const ei = this.eq.outIm;
    const zr = er * c + ei * s;
    const zi = ei * c - er * s;
    this.mu = 0;
    this.track = false;
    this.zr = zr;
    this.zi = zi;
    this.stage.symbol();
    if (this.mu > 0 || this.track) {
      const xr = this.dRe - zr;
      const xi = this.dIm - zi;
      this.mse += 0.02 * ((xr * xr + xi * xi) / this.dataEnergy - this.mse);
      this.mseHistory[this.mseAt++ & (MSE_HISTORY - 1)] = this.mse;
      if (this.track) this.loop.update(zr, zi, this.dRe, this.dIm);
      if (this.mu > 0) {
        const eq = this.eq;
        eq.errRe = xr * c - xi * s;
        eq.errIm = xi * c + xr * s;
        eq.mu = this.mu;
        eq.adapt();
      }
    }
    this.loop.advance();
  }
}
