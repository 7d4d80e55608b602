// ITU-T V.27 ter transmitter: 1800 Hz carrier, 4800 bit/s (1600 baud, eight-phase) or
// 2400 bit/s (1200 baud, four-phase) differential PSK, the long training sequence of Table 3
// and the scrambler with its guard against repeated patterns.
import { PassbandModulator } from './qam-modulator.ts';
import type { GetBit, ModemTransmitter } from './qam-types.ts';
import { V27terScrambler } from './scrambler.ts';
import { V27TER_DIBIT_CHANGE, V27TER_TRIBIT_CHANGE, v27terBaud, v27terSegments, type V27terRate } from './v27ter-constellation.ts';

export interface V27terTransmitterOptions {
  rate: V27terRate;
  getBit: GetBit;
  /** Send segments 1 and 2 (the talker-echo protection tone and the gap after it). */
  echoProtection?: boolean;
  /** Transmit level, dBm0 (default −13). */
  levelDbm0?: number;
}

/** The modulator's alphabet: the eight phases k·45° at unit amplitude, then silence (index 8). */
const ALPHABET = Float64Array.from({ length: 18 }, (_, j) => (j >= 16 ? 0 : j & 1 ? Math.sin(((j >> 1) * Math.PI) / 4) : Math.cos(((j >> 1) * Math.PI) / 4)));
const SILENCE = 8;

export class V27terTransmitter implements ModemTransmitter {
  private readonly rate: V27terRate;
  private readonly getBit: GetBit;
  private readonly mod: PassbandModulator;
  private readonly scrambler = new V27terScrambler();
  private readonly seg;
  private readonly lead: number;
  private step = 0;
  private phase = 0;
  private ended = false;

  constructor(o: V27terTransmitterOptions) {
    this.rate = o.rate;
    this.getBit = o.getBit;
    this.seg = v27terSegments(o.rate);
    this.lead = o.echoProtection ? this.seg.tone + this.seg.gap : 0;
    this.mod = new PassbandModulator({ baud: v27terBaud(o.rate), carrierHz: 1800, rolloff: 0.5, span: 10, meanEnergy: 1, levelDbm0: o.levelDbm0 ?? -13, alphabet: ALPHABET });
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
    const { tone, reversals, conditioning, ones } = this.seg;
    let s = this.step++;
    // The echo-protection tone is the unmodulated carrier: phase 0 at unit amplitude.
    if (s < this.lead) return s < tone ? 0 : SILENCE;
    s -= this.lead;
    if (s < reversals) {
      this.phase = (this.phase + 4) & 7;
    } else if (s < reversals + conditioning) {
      if (s === reversals) this.scrambler.presetForTraining();
      // Segment 4: 0° or 180° as the scrambler, fed with ones, gives 0 or 1; at both rates
      // the scrambler runs three bits per symbol and the first of them chooses the change.
      const b = this.bit(false);
      this.bit(false);
      this.bit(false);
      this.phase = (this.phase + (b ? 4 : 0)) & 7;
    } else {
      if (this.ended) return -1;
      const data = s >= reversals + conditioning + ones;
      if (this.rate === 4800) {
        const t = (this.bit(data) << 2) | (this.bit(data) << 1) | this.bit(data);
        this.phase = (this.phase + V27TER_TRIBIT_CHANGE[t]) & 7;
      } else {
        const d = (this.bit(data) << 1) | this.bit(data);
        this.phase = (this.phase + V27TER_DIBIT_CHANGE[d]) & 7;
      }
    }
    return this.phase;
  }
}
