// ITU-T V.29 transmitter: 2400 baud, 1700 Hz carrier, 9600 or 7200 bit/s; the training sequence of
// synchronizing signals (segments 1–4, Table 3), the scrambler, and the differential phase
// and amplitude coding of Tables 1 and 2.
import { PassbandModulator } from './qam-modulator.ts';
import type { GetBit, ModemTransmitter } from './qam-types.ts';
import { V29Scrambler } from './scrambler.ts';
import { V29_PHASE_CHANGE, V29_SEGMENTS, V29TrainingSequence, v29MeanEnergy, v29Point, v29TrainingPoints, type V29Rate } from './v29-constellation.ts';

/** Alphabet index of Table 3's A (B, C, D follow, then silence); below it phase·2 + Q1 (Table 2). */
const A = 16;
const SILENCE = A + 4;

/** The modulator's alphabet: Table 2's points by absolute phase and Q1, Table 3's A, B, C, D, silence. */
function alphabet(rate: V29Rate): Float64Array {
  const out = new Float64Array(2 * (SILENCE + 1));
  const p = new Float64Array(2);
  for (let k = 0; k < 16; k++) {
    v29Point(k >> 1, k & 1, p);
    out.set(p, 2 * k);
  }
  const t = v29TrainingPoints(rate);
  out.set([...t.a, ...t.b, ...t.c, ...t.d], 2 * A);
  return out;
}

export interface V29TransmitterOptions {
  rate: V29Rate;
  getBit: GetBit;
  /** Transmit level, dBm0 (default −13). */
  levelDbm0?: number;
}

export class V29Transmitter implements ModemTransmitter {
  private readonly rate: V29Rate;
  private readonly getBit: GetBit;
  private readonly mod: PassbandModulator;
  private readonly scrambler = new V29Scrambler();
  private readonly training = new V29TrainingSequence();
  private step = 0;
  private phase = 0;
  private ended = false;

  constructor(o: V29TransmitterOptions) {
    this.rate = o.rate;
    this.getBit = o.getBit;
    this.mod = new PassbandModulator({ baud: 2400, carrierHz: 1700, rolloff: 0.25, span: 12, meanEnergy: v29MeanEnergy(o.rate), levelDbm0: o.levelDbm0 ?? -13, alphabet: alphabet(o.rate) });
  }

  generate(out: Int16Array): number {
    const due = this.mod.symbolsDue(out.length);
    const symbols = this.mod.symbols;
    for (let i = 0; i < due; i++) symbols[i] = this.nextSymbol();
    return this.mod.render(out);
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

  /** The next symbol's index in the modulator's alphabet, or −1 after the last. */
  private nextSymbol(): number {
    const { silence, alternations, conditioning, ones } = V29_SEGMENTS;
    const s = this.step++;
    if (s < silence) return SILENCE;
    if (s < silence + alternations) return A + ((s - silence) & 1);
    if (s < silence + alternations + conditioning) {
      const d = this.training.next();
      // The data's differential coding continues from the last training element (D is 135°).
      this.phase = d ? 3 : 0;
      return A + 2 + d;
    }
    const data = s >= silence + alternations + conditioning + ones;
    if (this.ended) return -1;
    const q1 = this.rate === 9600 ? this.bit(data) : 0;
    const q2 = this.bit(data);
    const q3 = this.bit(data);
    const q4 = this.bit(data);
    this.phase = (this.phase + V29_PHASE_CHANGE[(q2 << 2) | (q3 << 1) | q4]) & 7;
    return (this.phase << 1) | q1;
  }
}
