// ITU-T V.29 transmitter: 2400 baud, 1700 Hz carrier, 9600 or 7200 bit/s; the training sequence of
// synchronizing signals (segments 1–4, Table 3), the scrambler, and the differential phase
// and amplitude coding of Tables 1 and 2.
import { PassbandModulator, type SymbolSource } from './qam-modulator.ts';
import type { GetBit, ModemTransmitter } from './qam-types.ts';
import { V29Scrambler } from './scrambler.ts';
import { V29_PHASE_CHANGE, V29_SEGMENTS, V29TrainingSequence, v29MeanEnergy, v29Point, v29TrainingPoints, type V29Rate } from './v29-constellation.ts';

export interface V29TransmitterOptions {
  rate: V29Rate;
  getBit: GetBit;
  /** Transmit level, dBm0 (default −13). */
  levelDbm0?: number;
}

export class V29Transmitter implements ModemTransmitter, SymbolSource {
  private readonly rate: V29Rate;
  private readonly getBit: GetBit;
  private readonly mod: PassbandModulator;
  private readonly scrambler = new V29Scrambler();
  private readonly training = new V29TrainingSequence();
  private readonly points;
  private step = 0;
  private phase = 0;
  private ended = false;

  constructor(o: V29TransmitterOptions) {
    this.rate = o.rate;
    this.getBit = o.getBit;
    this.points = v29TrainingPoints(o.rate);
    this.mod = new PassbandModulator({ baud: 2400, carrierHz: 1700, rolloff: 0.25, span: 12, meanEnergy: v29MeanEnergy(o.rate), levelDbm0: o.levelDbm0 ?? -13 });
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
    const { silence, alternations, conditioning, ones } = V29_SEGMENTS;
    const s = this.step++;
    if (s < silence) {
      sym[0] = 0;
      sym[1] = 0;
      return true;
    }
    if (s < silence + alternations) {
      const p = (s - silence) & 1 ? this.points.b : this.points.a;
      sym[0] = p[0];
      sym[1] = p[1];
      return true;
    }
    if (s < silence + alternations + conditioning) {
      const p = this.training.next() ? this.points.d : this.points.c;
      sym[0] = p[0];
      sym[1] = p[1];
      // The data's differential coding continues from the last training element.
      this.phase = p === this.points.d ? 3 : 0;
      return true;
    }
    const data = s >= silence + alternations + conditioning + ones;
    if (this.ended) return false;
    const q1 = this.rate === 9600 ? this.bit(data) : 0;
    const q2 = this.bit(data);
    const q3 = this.bit(data);
    const q4 = this.bit(data);
    this.phase = (this.phase + V29_PHASE_CHANGE[(q2 << 2) | (q3 << 1) | q4]) & 7;
    v29Point(this.phase, q1, sym);
    return true;
  }
}
