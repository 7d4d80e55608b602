// ITU-T V.27 ter receiver: finds the long training sequence of Table 3 (timing and gain on the
// 180° reversals, carrier phase on the two-phase conditioning pattern, which also trains the
// equaliser), then decodes differential eight-phase (4800) or four-phase (2400) PSK and
// descrambles. A talker-echo protection tone before the training is recognised by the
// gap that follows it, and acquisition starts again after the gap.
import { QamReceiverCore, type SymbolStage } from './qam-receiver.ts';
import type { ModemReceiver, ModemReceiverEvents, SignalQuality } from './qam-types.ts';
import { V27terScrambler } from './scrambler.ts';
import { V27TER_DIBIT_FOR_CHANGE, V27TER_TRIBIT_FOR_CHANGE, v27terBaud, v27terSegments, type V27terRate } from './v27ter-constellation.ts';

const Stage = {
  /** Timing and gain settle. */
  Settle: 0,
  /** Carrier phase (modulo 180°) from the squared symbols. */
  Phase: 1,
  /** Equaliser trained on two-phase decisions (segments 3 and 4). */
  Train: 2,
  /** Energy gone within the training: the gap after the echo protection tone. */
  Gap: 3,
  Data: 4,
  Failed: 5,
} as const;
type Stage = (typeof Stage)[keyof typeof Stage];

const PHASE_SYMBOLS = 8;
/** Two-phase symbols needed before symbols off the 0°/180° axis may start the data. */
const MIN_TRAIN = 64;
/** Changes (0° or 180°) of segment 4's pattern that identify its start, and errors allowed. */
const HEAD = 24;
const HEAD_MASK = (1 << HEAD) - 1;
const HEAD_MISSES = 2;
/** Symbols of segment 4 after which its start is confirmed, if no more than 1 in 8 differ. */
const CHECK = 64;

/**
 * The first HEAD changes of segment 4 (1 = 180°), the most recent in bit 0: the scrambler from
 * its segment-4 state, fed with ones, three bits per symbol, the first choosing the change.
 */
const PATTERN_HEAD = (() => {
  const s = new V27terScrambler();
  s.presetForTraining();
  let h = 0;
  for (let i = 0; i < HEAD; i++) {
    h = (h << 1) | s.scramble(1);
    s.scramble(1);
    s.scramble(1);
  }
  return h;
})();
const TRAINING_MAX_MSE = 0.1;
/** Angle off the 0°/180° axis (radians) beyond which a symbol is taken for segment 5's. */
const OFF_AXIS = (30 * Math.PI) / 180;
/** Descrambler stages (with the guard's 12-bit window) to fill before bits are delivered. */
const WARMUP_BITS = 13;

const COS45 = Float64Array.from({ length: 8 }, (_, k) => Math.cos((k * Math.PI) / 4));
const SIN45 = Float64Array.from({ length: 8 }, (_, k) => Math.sin((k * Math.PI) / 4));
const COS_EIGHTH = Math.cos(Math.PI / 8);
const SIN_EIGHTH = Math.sin(Math.PI / 8);

export interface V27terReceiverOptions {
  rate: V27terRate;
  onDbm0?: number;
  offDbm0?: number;
}

export class V27terReceiver implements ModemReceiver, SymbolStage {
  private readonly core: QamReceiverCore;
  private readonly rate: V27terRate;
  private readonly descrambler = new V27terScrambler();
  private stage: Stage = Stage.Settle;
  private count = 0;
  private low = 0;
  private accRe = 0;
  private accIm = 0;
  private prevPhase = 0;
  private warmup = 0;
  /** A first symbol off the training axis, held until the next one confirms segment 5. */
  private pending = false;
  /** The last changes received (1 = 180°), the most recent in bit 0, and how many. */
  private history = 0;
  private seen = 0;
  private lastRe = 0;
  private lastIm = 0;
  /** Symbols of segment 4 received (−1 until its start is found) and pattern mismatches. */
  private seg4 = -1;
  private seg4Misses = 0;
  private readonly pattern = new V27terScrambler();
  private readonly segments;
  private pendingRe = 0;
  private pendingIm = 0;

  constructor(o: V27terReceiverOptions, events: ModemReceiverEvents) {
    // The matched filter spans 4 symbols: with V.27 ter's 50 % roll-off the pulse is down to 4 %
    // of its peak there and the truncated filter's stopband to −30 dB, and the equaliser takes
    // up what truncation leaves. 8 symbols (as before) gave the same bit errors against SNR on
    // spandsp's transmitter (200 000 bits, 13.5–16 dB at 4800, 6.5–8.5 dB at 2400, within one
    // error burst either way) at twice the filter's work, which was most of this receiver's.
    this.core = new QamReceiverCore({ baud: v27terBaud(o.rate), carrierHz: 1800, rolloff: 0.5, span: 4, taps: 16, trainingEnergy: 1, dataEnergy: 1, onDbm0: o.onDbm0, offDbm0: o.offDbm0 }, events, this);
    this.rate = o.rate;
    this.segments = v27terSegments(o.rate);
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
    this.low = 0;
    this.pending = false;
    this.history = 0;
    this.seen = 0;
    this.lastRe = 0;
    this.lastIm = 0;
    this.seg4 = -1;
    this.prevPhase = 0;
    this.accRe = 0;
    this.accIm = 0;
    this.descrambler.reset();
  }

  /** For the core: one equalised, carrier-corrected symbol. */
  symbol(): void {
    const zr = this.core.zr;
    const zi = this.core.zi;
    const energy = zr * zr + zi * zi;
    // 180° or 0° from the last symbol whatever the gain and carrier phase, recorded from the
    // first symbol on: segment 4 may begin before timing, gain and phase have settled.
    const reversal = zr * this.lastRe + zi * this.lastIm < 0;
    this.lastRe = zr;
    this.lastIm = zi;
    if (this.stage <= Stage.Train) {
      if (this.seg4 < 0) this.findSegment4(reversal);
      else {
        // In segment 4: run the same pattern generator to know where it ends.
        const b = this.pattern.scramble(1);
        this.pattern.scramble(1);
        this.pattern.scramble(1);
        if (b !== (reversal ? 1 : 0)) this.seg4Misses++;
        if (++this.seg4 === CHECK) {
          if (this.seg4Misses > CHECK / 8) {
            // Not the pattern after all (noise matches it by chance now and then): look again.
            this.seg4 = -1;
            this.seen = 0;
          } else {
            this.core.carrierUp();
            this.core.loop.setGain(0.05);
            this.core.timing.setGains(0.01, 0.00005);
          }
        }
      }
    }
    switch (this.stage) {
      case Stage.Settle:
        if (this.core.agcReady) this.stage = Stage.Phase;
        break;
      case Stage.Phase:
        // Squaring removes the 0°/180° modulation; half its angle is the carrier phase.
        this.accRe += zr * zr - zi * zi;
        this.accIm += 2 * zr * zi;
        if (++this.count === PHASE_SYMBOLS) {
          const turn = Math.atan2(this.accIm, this.accRe) / 2;
          this.core.loop.phase += turn;
          // The last symbol as the corrected phase would have shown it, for the next reversal
          // test and the first differential decision.
          const c = Math.cos(turn);
          const s = Math.sin(turn);
          const re = this.lastRe * c + this.lastIm * s;
          this.lastIm = this.lastIm * c - this.lastRe * s;
          this.lastRe = re;
          this.prevPhase = re >= 0 ? 0 : 4;
          this.stage = Stage.Train;
          this.count = 0;
        }
        break;
      case Stage.Train:
        if (energy < 0.1) {
          if (++this.low >= 3) this.stage = Stage.Gap;
          break;
        }
        this.low = 0;
        this.train(zr, zi);
        break;
      case Stage.Gap:
        if (energy > 0.3) this.core.resync();
        break;
      case Stage.Data:
        this.data(zr, zi);
        break;
      case Stage.Failed:
        break;
    }
  }

  /**
   * Looks for segment 4 in the changes received so far: when the last HEAD changes are the
   * pattern's first HEAD (allowing HEAD_MISSES errors), segment 4 began HEAD symbols ago.
   */
  private findSegment4(reversal: boolean): void {
    this.history = ((this.history << 1) | (reversal ? 1 : 0)) >>> 0;
    if (++this.seen < HEAD) return;
    let diff = (this.history ^ PATTERN_HEAD) & HEAD_MASK;
    let misses = 0;
    while (diff !== 0 && misses <= HEAD_MISSES) {
      diff &= diff - 1;
      misses++;
    }
    if (misses > HEAD_MISSES) return;
    this.seg4 = HEAD;
    this.seg4Misses = 0;
    this.pattern.presetForTraining();
    for (let i = 0; i < 3 * HEAD; i++) this.pattern.scramble(1);
  }

  private train(zr: number, zi: number): void {
    const axis = zr >= 0 ? 0 : 4;
    if (this.seg4 < 0 && this.count >= MIN_TRAIN && this.core.mse < TRAINING_MAX_MSE && Math.atan2(Math.abs(zi), Math.abs(zr)) > OFF_AXIS) {
      // Segment 4's start was missed: once the equaliser has trained (noise never does),
      // segment 5 is recognised by two symbols in a row well off the 0°/180° axis (its
      // symbols sit 45° or more off it; noisy training rarely 30°).
      if (this.pending) {
        this.core.carrierUp();
        this.startData();
        this.data(this.pendingRe, this.pendingIm);
        this.data(zr, zi);
        return;
      }
      this.pending = true;
      this.pendingRe = zr;
      this.pendingIm = zi;
      return;
    }
    this.pending = false;
    this.core.dRe = COS45[axis];
    this.core.dIm = 0;
    this.prevPhase = axis;
    this.core.mu = 0.05;
    this.core.track = true;
    this.count++;
    if (this.seg4 === this.segments.conditioning) this.startData();
  }

  /** Training is over: judge it and decode from the next symbol on. */
  private startData(): void {
    const ok = this.core.mse < TRAINING_MAX_MSE;
    this.core.events.training?.(ok, this.core.quality());
    this.stage = ok ? Stage.Data : Stage.Failed;
    this.warmup = 0;
    this.core.loop.setGain(0.03);
    this.core.timing.setGains(0.005, 0.00002);
  }

  /**
   * Nearest allowed phase (in 45° steps) for the rate; sets the decision. By comparisons, not
   * atan2 (once per symbol, two at 2400): the symbol turned by half a sector, whose sector is
   * then read off the signs of its parts and which part is larger.
   */
  private decide(zr: number, zi: number): number {
    let p: number;
    if (this.rate === 4800) {
      // Turned by +22.5°: the sector [k·45°, (k + 1)·45°) is the phase k·45° ± 22.5°.
      const u = zr * COS_EIGHTH - zi * SIN_EIGHTH;
      const v = zr * SIN_EIGHTH + zi * COS_EIGHTH;
      if (v >= 0) p = u >= 0 ? (v < u ? 0 : 1) : v > -u ? 2 : 3;
      else p = u < 0 ? (v > u ? 4 : 5) : -v > u ? 6 : 7;
    } else {
      // Turned by +45° (scaled by √2): the quadrant is the phase k·90° ± 45°.
      const u = zr - zi;
      const v = zr + zi;
      p = v >= 0 ? (u >= 0 ? 0 : 2) : u < 0 ? 4 : 6;
    }
    this.core.dRe = COS45[p];
    this.core.dIm = SIN45[p];
    return p;
  }

  private data(zr: number, zi: number): void {
    const p = this.decide(zr, zi);
    this.core.mu = 0.01;
    this.core.track = true;
    const change = (p - this.prevPhase) & 7;
    this.prevPhase = p;
    if (this.rate === 4800) {
      const t = V27TER_TRIBIT_FOR_CHANGE[change];
      this.out(t >> 2);
      this.out((t >> 1) & 1);
      this.out(t & 1);
    } else {
      const d = V27TER_DIBIT_FOR_CHANGE[change];
      this.out(d >> 1);
      this.out(d & 1);
    }
  }

  private out(line: number): void {
    const bit = this.descrambler.descramble(line);
    if (this.warmup < WARMUP_BITS) this.warmup++;
    else this.core.events.bit?.(bit);
  }
}
