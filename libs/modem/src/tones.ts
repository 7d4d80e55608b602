// Fax call tones: CNG and CED generators (T.30 §5.2.1 and §5.2.2) and a detector for them that
// also takes V.8's ANSam (V.8 §5.2.1: 2100 Hz amplitude-modulated at 15 Hz) and V.25's ANS
// with phase reversals as CED, since a fax terminal treats them alike. 8 kHz, Int16Array.

import { dbm0ForMeanSquare, rmsForDbm0 } from './carrier.ts';

export const SAMPLE_RATE = 8000;

/** The 16-bit peak amplitude of a sine at `dbm0` (the G.711 reference of carrier.ts). */
export function sineAmplitude(dbm0: number): number {
  return rmsForDbm0(dbm0) * Math.SQRT2;
}

/** Mean-square power of 16-bit samples expressed in dBm0. */
export function powerDbm0(meanSquare: number): number {
  return dbm0ForMeanSquare(meanSquare);
}

export interface ToneSpec {
  /** Hz. */
  frequency: number;
  /** Level in dBm0. */
  level: number;
  /** Cadence: on for `onMs`, then off for `offMs` (0: continuous), repeated. */
  onMs: number;
  offMs: number;
  /** Total length in ms; Infinity for a tone that runs until its user stops asking for samples. */
  totalMs: number;
  /** V.8 §5.2.1 ANSam: amplitude modulation at 15 Hz, depth 0.2. */
  am15Hz?: boolean;
  /** V.25 §5.2.1 / V.8 ANSam/: phase reversals every 450 ms. */
  phaseReversals?: boolean;
}

/** T.30 §5.2.1: CNG, 1100 Hz ± 38 Hz, on 0.5 s, off 3 s. Level typically -10 dBm0 or below. */
export const CNG: ToneSpec = { frequency: 1100, level: -13, onMs: 500, offMs: 3000, totalMs: Infinity };
/** T.30 §5.2.2: CED, 2100 Hz ± 15 Hz, for 2.6 s to 4 s; we send 3.3 s, the middle of the range. */
export const CED: ToneSpec = { frequency: 2100, level: -13, onMs: 3300, offMs: 0, totalMs: 3300 };
/** V.8 §5.2.1: ANSam, CED's modulated form, 2100 Hz with 15 Hz AM (and optional reversals). */
export const ANSAM: ToneSpec = { frequency: 2100, level: -13, onMs: 3300, offMs: 0, totalMs: 3300, am15Hz: true };

/** A tone generator with cadence; `generate` returns fewer samples than asked at the end. */
export class ToneGenerator {
  private n = 0;
  private readonly amp: number;
  private readonly on: number;
  private readonly period: number;
  private readonly total: number;
  private readonly spec: ToneSpec;

  constructor(spec: ToneSpec) {
    this.spec = spec;
    this.amp = sineAmplitude(spec.level);
    this.on = Math.round((spec.onMs * SAMPLE_RATE) / 1000);
    this.period = this.on + Math.round((spec.offMs * SAMPLE_RATE) / 1000);
    this.total = spec.totalMs === Infinity ? Infinity : Math.round((spec.totalMs * SAMPLE_RATE) / 1000);
  }

  generate(out: Int16Array): number {
    const { frequency, am15Hz, phaseReversals } = this.spec;
    const reversal = Math.round(0.45 * SAMPLE_RATE);
    let i = 0;
    for (; i < out.length && this.n < this.total; i++, this.n++) {
      const t = this.n % this.period;
      if (t >= this.on) {
        out[i] = 0;
        continue;
      }
      let phase = (2 * Math.PI * frequency * t) / SAMPLE_RATE;
      if (phaseReversals && Math.floor(t / reversal) % 2 === 1) phase += Math.PI;
      const a = am15Hz ? this.amp * (1 + 0.2 * Math.sin((2 * Math.PI * 15 * t) / SAMPLE_RATE)) / 1.2 : this.amp;
      out[i] = Math.round(a * Math.sin(phase));
    }
    return i;
  }
}

export type ToneName = 'cng' | 'ced';

export interface ToneEvent {
  tone: ToneName;
  on: boolean;
  /** Sample index (from the detector's first sample) where the tone was found to start or end. */
  at: number;
  /** For `on: false`: how long the tone lasted, in ms. */
  durationMs?: number;
}

interface Target {
  name: ToneName;
  /** Goertzel coefficients of bins at f and f ± 25 Hz, covering the tolerance of T.30 §5.2. */
  coeffs: number[];
  minOnBlocks: number;
  blocks: number;
  misses: number;
  on: boolean;
  start: number;
}

const BLOCK = 160; // 20 ms: bins 50 Hz wide
/** Share of a block's energy that must sit in the tone's bins. */
const PURITY = 0.5;

export interface ToneDetectorOptions {
  /** Minimum level in dBm0 (T.30 §5.2 tones are sent at ≥ -43 dBm0 at the receiver's line). */
  minLevel?: number;
  /** How long a tone must last before it is reported, ms (CNG 0.5 s bursts: 400 ms default). */
  cngMinMs?: number;
  /** CED default 500 ms: long enough to reject a voice, short enough to answer quickly. */
  cedMinMs?: number;
}

/**
 * Detects CNG and CED (ANSam, ANS with phase reversals) in blocks of 20 ms: a tone is present
 * when its three Goertzel bins hold most of the block's energy (independent of the level) and
 * the level is above `minLevel`. One bad block is tolerated while on, so that a phase reversal
 * does not end a CED.
 */
export class ToneDetector {
  private readonly targets: Target[];
  private readonly minMeanSquare: number;
  private readonly block = new Float64Array(BLOCK);
  private fill = 0;
  private sampleIndex = 0;
  private readonly onEvent: (e: ToneEvent) => void;

  constructor(onEvent: (e: ToneEvent) => void, opts: ToneDetectorOptions = {}) {
    this.onEvent = onEvent;
    const ref = sineAmplitude(0) ** 2 / 2;
    this.minMeanSquare = ref * 10 ** ((opts.minLevel ?? -43) / 10);
    const make = (name: ToneName, f: number, minMs: number): Target => ({
      name,
      coeffs: [f - 25, f, f + 25].map((x) => 2 * Math.cos((2 * Math.PI * x) / SAMPLE_RATE)),
      minOnBlocks: Math.ceil(minMs / 20),
      blocks: 0,
      misses: 0,
      on: false,
      start: 0,
    });
    this.targets = [make('cng', 1100, opts.cngMinMs ?? 400), make('ced', 2100, opts.cedMinMs ?? 500)];
  }

  receive(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      this.block[this.fill++] = samples[i];
      if (this.fill === BLOCK) {
        this.analyse(this.sampleIndex + i + 1 - BLOCK);
        this.fill = 0;
      }
    }
    this.sampleIndex += samples.length;
  }

  private analyse(blockStart: number): void {
    let energy = 0;
    for (let i = 0; i < BLOCK; i++) energy += this.block[i] * this.block[i];
    const loud = energy / BLOCK >= this.minMeanSquare;
    for (const t of this.targets) {
      let best = 0;
      for (const c of t.coeffs) {
        let s1 = 0;
        let s2 = 0;
        for (let i = 0; i < BLOCK; i++) {
          const s0 = this.block[i] + c * s1 - s2;
          s2 = s1;
          s1 = s0;
        }
        const mag2 = s1 * s1 + s2 * s2 - c * s1 * s2;
        if (mag2 > best) best = mag2;
      }
      // A sine of amplitude A in the bin gives |X|² = (A·N/2)² and energy N·A²/2.
      const present = loud && (2 * best) / (BLOCK * energy) >= PURITY;
      this.track(t, present, blockStart);
    }
  }

  private track(t: Target, present: boolean, blockStart: number): void {
    if (present) {
      if (t.blocks === 0) t.start = blockStart;
      t.blocks++;
      t.misses = 0;
      if (!t.on && t.blocks >= t.minOnBlocks) {
        t.on = true;
        this.onEvent({ tone: t.name, on: true, at: t.start });
      }
      return;
    }
    if (t.blocks > 0 && ++t.misses <= 1 && t.on) return;
    if (t.on) {
      const end = blockStart - (t.misses - 1) * BLOCK;
      this.onEvent({ tone: t.name, on: false, at: end, durationMs: ((end - t.start) * 1000) / SAMPLE_RATE });
    }
    t.on = false;
    t.blocks = 0;
    t.misses = 0;
  }
}
