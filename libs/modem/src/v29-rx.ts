// ITU-T V.29 receiver: acquires the synchronizing signals (timing on the A/B alternations of
// segment 2, carrier phase from which of A and B is which, equaliser on segments 2 and 3), then
// decodes the differential phase and amplitude (Tables 1 and 2) and descrambles.
import { QamReceiverCore, type SymbolStage } from './qam-receiver.ts';
import type { ModemReceiver, ModemReceiverEvents, SignalQuality } from './qam-types.ts';
import { V29Scrambler } from './scrambler.ts';
import { SubsetSlicer } from './subset-slicer.ts';
import { phaseOctant, V29_SEGMENTS, V29_TRIBIT_FOR_CHANGE, v29MeanEnergy, v29Point, v29TrainingPoints, type V29Rate } from './v29-constellation.ts';

/** Where the receiver is in the training sequence. */
const Stage = {
  /** Timing and gain settle on the alternations. */
  Settle: 0,
  /** Phase estimated from the A/B alternations. */
  Phase: 1,
  /** Equaliser trained on the known A/B alternation until segment 3 starts. */
  TrainAB: 2,
  /** Equaliser trained on C/D decisions for the 384 symbols of segment 3. */
  TrainCD: 3,
  Data: 4,
  Failed: 5,
} as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/** Angle between successive A/B elements accepted as segment 2 (135° nominal), radians. */
const AB_MIN = (100 * Math.PI) / 180;
const AB_MAX = (170 * Math.PI) / 180;
/** Symbols of alternations used for the phase estimate. */
const PHASE_SYMBOLS = 16;
/**
 * Equaliser error (relative to the data energy) above which training has failed: 13 dB SNR at
 * 9600 bit/s, 10 dB at 7200, where the bit-error rate passes 1e-2 (see bench/fast-modems).
 */
const TRAINING_MAX_MSE = { 9600: 0.05, 7200: 0.1 } as const;

/** Each rate's points as one table per process, x, y by point index: the slicer's grid is built once per table. */
const pointTables = new Map<V29Rate, Int8Array>();
function pointTable(rate: V29Rate, re: Float64Array, im: Float64Array): Int8Array {
  let t = pointTables.get(rate);
  if (!t) {
    t = new Int8Array(2 * re.length);
    for (let i = 0; i < re.length; i++) {
      t[2 * i] = re[i];
      t[2 * i + 1] = im[i];
    }
    pointTables.set(rate, t);
  }
  return t;
}

export interface V29ReceiverOptions {
  rate: V29Rate;
  onDbm0?: number;
  offDbm0?: number;
}

export class V29Receiver implements ModemReceiver, SymbolStage {
  private readonly core: QamReceiverCore;
  private readonly rate: V29Rate;
  private readonly descrambler = new V29Scrambler();
  private readonly tp;
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  /** Absolute phase (in 45° steps) of each point, so the data path needs no atan2. */
  private readonly octant: Int8Array;
  /** The nearest point by a grid over the constellation (a search of 16 points did not predict). */
  private readonly slicer: SubsetSlicer;
  private stage: Stage = Stage.Settle;
  private count = 0;
  private accRe = 0;
  private accIm = 0;
  private lastRe = 0;
  private lastIm = 0;
  private lastWasB = false;
  private prevPhase = 0;
  private warmup = 0;

  constructor(o: V29ReceiverOptions, events: ModemReceiverEvents) {
    const tp = v29TrainingPoints(o.rate);
    const ab = (tp.a[0] ** 2 + tp.a[1] ** 2 + tp.b[0] ** 2 + tp.b[1] ** 2) / 2;
    // A matched filter over 8 symbols: truncated there, the 25 % roll-off pulse leaves
    // intersymbol interference at −46 dB (as over 10) and a stopband at −32 dB. On spandsp's
    // transmitter (200 000 bits, 0.5 dB steps) it keeps BER <= 1e-5 from 18.5 dB at 9600
    // (19 over 10 symbols), with up to a fifth more errors at 16–17.5 dB, for a fifth less of
    // the filter's work. (12 symbols before that: the same thresholds as 10.)
    this.core = new QamReceiverCore({ baud: 2400, carrierHz: 1700, rolloff: 0.25, span: 8, taps: 24, trainingEnergy: ab, dataEnergy: v29MeanEnergy(o.rate), onDbm0: o.onDbm0, offDbm0: o.offDbm0 }, events, this);
    this.rate = o.rate;
    this.tp = tp;
    const n = o.rate === 9600 ? 16 : 8;
    this.cRe = new Float64Array(n);
    this.cIm = new Float64Array(n);
    this.octant = new Int8Array(n);
    const p = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      v29Point(i >> (o.rate === 9600 ? 1 : 0), o.rate === 9600 ? i & 1 : 0, p);
      this.cRe[i] = p[0];
      this.cIm[i] = p[1];
      this.octant[i] = phaseOctant(p[0], p[1]);
    }
    this.slicer = new SubsetSlicer(pointTable(o.rate, this.cRe, this.cIm), [Int32Array.from({ length: n }, (_, i) => i)]);
  }

  receive(samples: Int16Array): void {
    this.core.receive(samples);
  }

  quality(): SignalQuality {
    return this.core.quality();
  }

  /** For the core: a new signal starts. */
  restart(): void {
    this.stage = Stage.Settle;
    this.count = 0;
    this.accRe = 0;
    this.accIm = 0;
    this.descrambler.reset();
  }

  private target(isB: boolean): void {
    const p = isB ? this.tp.b : this.tp.a;
    this.core.dRe = p[0];
    this.core.dIm = p[1];
  }

  /** For the core: one equalised, carrier-corrected symbol. */
  symbol(): void {
    const zr = this.core.zr;
    const zi = this.core.zi;
    switch (this.stage) {
      case Stage.Settle:
        if (this.core.agcReady && this.core.symbols > 40) this.stage = Stage.Phase;
        break;
      case Stage.Phase: {
        // B (315°) follows A (180°) by +135°, A follows B by −135°.
        const cross = zi * this.lastRe - zr * this.lastIm;
        const dot = zr * this.lastRe + zi * this.lastIm;
        const isB = cross > 0;
        // A and B are 135° apart: anything else (noise, another signal) is not segment 2.
        const apart = Math.abs(Math.atan2(cross, dot));
        if (apart < AB_MIN || apart > AB_MAX || (this.count > 0 && isB === this.lastWasB)) {
          // Not alternating: not (yet) segment 2.
          this.count = 0;
          this.accRe = 0;
          this.accIm = 0;
        }
        const t = isB ? this.tp.b : this.tp.a;
        // Accumulate z·conj(t): its angle is the carrier phase error.
        this.accRe += zr * t[0] + zi * t[1];
        this.accIm += zi * t[0] - zr * t[1];
        this.lastWasB = isB;
        if (++this.count === PHASE_SYMBOLS) {
          this.core.loop.phase += Math.atan2(this.accIm, this.accRe);
          this.stage = Stage.TrainAB;
          this.count = 0;
          this.core.carrierUp();
        }
        break;
      }
      case Stage.TrainAB: {
        const isB = !this.lastWasB;
        this.lastWasB = isB;
        const { c, d } = this.tp;
        const t = isB ? this.tp.b : this.tp.a;
        const dt = (zr - t[0]) ** 2 + (zi - t[1]) ** 2;
        const dc = (zr - c[0]) ** 2 + (zi - c[1]) ** 2;
        const dd = (zr - d[0]) ** 2 + (zi - d[1]) ** 2;
        if (dc < dt || dd < dt) {
          // Segment 3 has begun: this is its first element.
          this.stage = Stage.TrainCD;
          this.count = 0;
          this.core.loop.setGain(0.05);
          this.core.timing.setGains(0.01, 0.00005);
          this.trainCD(zr, zi);
          break;
        }
        this.target(isB);
        this.core.mu = 0.05;
        this.core.track = true;
        break;
      }
      case Stage.TrainCD:
        this.trainCD(zr, zi);
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

  private trainCD(zr: number, zi: number): void {
    const { c, d } = this.tp;
    const isD = (zr - d[0]) ** 2 + (zi - d[1]) ** 2 < (zr - c[0]) ** 2 + (zi - c[1]) ** 2;
    const t = isD ? d : c;
    this.core.dRe = t[0];
    this.core.dIm = t[1];
    // A large step through the first half of segment 3 pulls the equaliser in on a distorted
    // line, a smaller one then lets it settle with less noise.
    this.core.mu = this.count < V29_SEGMENTS.conditioning / 2 ? 0.2 : 0.05;
    this.core.track = true;
    this.prevPhase = isD ? 3 : 0;
    if (++this.count === V29_SEGMENTS.conditioning) {
      const ok = this.core.mse < TRAINING_MAX_MSE[this.rate];
      this.core.events.training?.(ok, this.core.quality());
      this.stage = ok ? Stage.Data : Stage.Failed;
      this.core.loop.setGain(0.03);
      this.core.timing.setGains(0.005, 0.00002);
      this.warmup = 0;
    }
  }

  private data(zr: number, zi: number): void {
    const { cRe, cIm } = this;
    this.slicer.slice(zr, zi);
    const best = this.slicer.label[0];
    this.core.dRe = cRe[best];
    this.core.dIm = cIm[best];
    this.core.mu = 0.01;
    this.core.track = true;
    const phase = this.octant[best];
    const tribit = V29_TRIBIT_FOR_CHANGE[(phase - this.prevPhase) & 7];
    this.prevPhase = phase;
    if (this.rate === 9600) this.out(best & 1);
    this.out(tribit >> 2);
    this.out((tribit >> 1) & 1);
    this.out(tribit & 1);
  }

  private out(line: number): void {
    const bit = this.descrambler.descramble(line);
    // The descrambler is in step once its 23 stages hold received bits.
    if (this.warmup < 23) this.warmup++;
    else this.core.events.bit?.(bit);
  }
}
