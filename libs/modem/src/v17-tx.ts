// ITU-T V.17 transmitter: 2400 baud, 1800 Hz carrier, 14400/12000/9600/7200 bit/s trellis-coded
// QAM; the long and short training sequences (segments 1–4), the scrambler (1 + x^-18 + x^-23,
// as V.29's), differential encoding and trellis coding.
import { PassbandModulator } from './qam-modulator.ts';
import type { GetBit, ModemTransmitter } from './qam-types.ts';
import { V29Scrambler } from './scrambler.ts';
import {
  V17_A,
  V17_B,
  V17_BITS_PER_SYMBOL,
  V17_C,
  V17_CONSTELLATIONS,
  V17_D,
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

/**
 * The modulator's alphabet per rate: the data points by label, then the training elements A, B,
 * C, D (V.17 segments 1 and 2).
 */
function alphabet(rate: V17Rate): Float64Array {
  const points = V17_CONSTELLATIONS[rate];
  return Float64Array.from([...points, ...V17_A, ...V17_B, ...V17_C, ...V17_D]);
}

export class V17Transmitter implements ModemTransmitter {
  private readonly getBit: GetBit;
  private readonly mod: PassbandModulator;
  private readonly scrambler = new V29Scrambler();
  private readonly encoder = new V17TrellisEncoder();
  private readonly bps: number;
  /** Alphabet index of training element A (B, C, D follow). */
  private readonly a: number;
  /** Segment 2's b0 b1 → C, D, B, A as alphabet indices. */
  private readonly conditioning: Int32Array;
  private readonly conditioningEnd: number;
  private readonly trainingEnd: number;
  private step = 0;
  private ended = false;

  constructor(o: V17TransmitterOptions) {
    this.getBit = o.getBit;
    this.a = V17_CONSTELLATIONS[o.rate].length / 2;
    this.conditioning = Int32Array.of(this.a + 2, this.a + 3, this.a + 1, this.a);
    this.bps = V17_BITS_PER_SYMBOL[o.rate];
    const s = V17_SEGMENTS;
    this.conditioningEnd = s.alternations + (o.shortTrain ? s.conditioningShort : s.conditioningLong + s.bridge);
    this.trainingEnd = this.conditioningEnd + s.ones;
    this.scrambler.preset(V17_TRAINING_SCRAMBLER_STATE);
    this.mod = new PassbandModulator({ baud: 2400, carrierHz: 1800, rolloff: 0.25, span: 12, meanEnergy: v17MeanEnergy(o.rate), levelDbm0: o.levelDbm0 ?? -13, alphabet: alphabet(o.rate) });
  }

  generate(out: Int16Array): number {
    const due = this.mod.symbolsDue(out.length);
    const symbols = this.mod.symbols;
    for (let i = 0; i < due; i++) symbols[i] = this.nextSymbol();
    return this.mod.render(out);
  }

  /** The next symbol's line bits, scrambled, the first in time in bit 0: data, or ones before the data and after its end. */
  private lineBits(data: boolean): number {
    let bits = 0;
    for (let j = 0; j < this.bps; j++) {
      let b = 1;
      if (data && !this.ended) {
        const v = this.getBit();
        if (v < 0) this.ended = true;
        else b = v;
      }
      bits |= b << j;
    }
    return this.scrambler.scrambleBits(bits, this.bps);
  }

  /** The next symbol's index in the modulator's alphabet, or −1 after the last. */
  private nextSymbol(): number {
    const s = this.step++;
    if (s < V17_SEGMENTS.alternations) return this.a + (s & 1);
    if (s < this.conditioningEnd) {
      const b0 = this.scrambler.scramble(1);
      const b1 = this.scrambler.scramble(1);
      return this.conditioning[(b0 << 1) | b1];
    }
    if (this.ended) return -1;
    const q = this.lineBits(s >= this.trainingEnd);
    // Q1 Q2 through the trellis encoder give Y0 Y1 Y2; Q3… follow them uncoded.
    return this.encoder.encode(q & 1, (q >> 1) & 1) | ((q >> 2) << 3);
  }
}
