// ITU-T V.17 transmitter: 2400 baud, 1800 Hz carrier, 14400/12000/9600/7200 bit/s trellis-coded
// QAM; the long and short training sequences (segments 1–4), the scrambler (1 + x^-18 + x^-23,
// as V.29's), differential encoding and trellis coding.
import { PassbandModulator, type SymbolSource } from './qam-modulator.ts';
import type { GetBit, ModemTransmitter } from './qam-types.ts';
import { V29Scrambler } from './scrambler.ts';
import {
  V17_A,
  V17_B,
  V17_BITS_PER_SYMBOL,
  V17_CONDITIONING_POINTS,
  V17_CONSTELLATIONS,
  V17_SEGMENTS,
  V17_TRAINING_SCRAMBLER_STATE,
  V17TrellisEncoder,
  v17MeanEnergy,
  type V17Rate,
} from './v17-constellation.ts';

export interface V17TransmitterOptions {
  rate: V17Rate;
  getBit: GetBit;
  /**
   * Short train (segment 2 of 38 symbols, no segment 3): only for a receiver that
   * trained on this transmitter's long train earlier in the same call (T.30 uses it for the
   * image after TCF).
   */
  shortTrain?: boolean;
  /** Transmit level, dBm0 (default −13). */
  levelDbm0?: number;
}

export class V17Transmitter implements ModemTransmitter, SymbolSource {
  private readonly getBit: GetBit;
  private readonly mod: PassbandModulator;
  private readonly scrambler = new V29Scrambler();
  private readonly encoder = new V17TrellisEncoder();
  private readonly points: Int8Array;
  private readonly bps: number;
  private readonly conditioningEnd: number;
  private readonly trainingEnd: number;
  private step = 0;
  private ended = false;

  constructor(o: V17TransmitterOptions) {
    this.getBit = o.getBit;
    this.points = V17_CONSTELLATIONS[o.rate];
    this.bps = V17_BITS_PER_SYMBOL[o.rate];
    const s = V17_SEGMENTS;
    this.conditioningEnd = s.alternations + (o.shortTrain ? s.conditioningShort : s.conditioningLong + s.bridge);
    this.trainingEnd = this.conditioningEnd + s.ones;
    this.scrambler.preset(V17_TRAINING_SCRAMBLER_STATE);
    this.mod = new PassbandModulator({ baud: 2400, carrierHz: 1800, rolloff: 0.25, span: 12, meanEnergy: v17MeanEnergy(o.rate), levelDbm0: o.levelDbm0 ?? -13 });
  }

  generate(out: Int16Array): number {
    return this.mod.generate(out, this);
  }

  private bit(data: boolean): number {
    let b = 1;
    if (data && !this.ended) {
      const v = this.getBit();
      if (v < 0) this.ended = true;
      else b = v;
    }
    return this.scrambler.scramble(b);
  }

  nextSymbol(sym: Float64Array): boolean {
    const s = this.step++;
    if (s < V17_SEGMENTS.alternations) {
      const p = s & 1 ? V17_B : V17_A;
      sym[0] = p[0];
      sym[1] = p[1];
      return true;
    }
    if (s < this.conditioningEnd) {
      const b0 = this.scrambler.scramble(1);
      const b1 = this.scrambler.scramble(1);
      const p = V17_CONDITIONING_POINTS[(b0 << 1) | b1];
      sym[0] = p[0];
      sym[1] = p[1];
      return true;
    }
    if (this.ended) return false;
    const data = s >= this.trainingEnd;
    const q1 = this.bit(data);
    const q2 = this.bit(data);
    let label = this.encoder.encode(q1, q2);
    for (let j = 2; j < this.bps; j++) label |= this.bit(data) << (j + 1);
    sym[0] = this.points[2 * label];
    sym[1] = this.points[2 * label + 1];
    return true;
  }
}
