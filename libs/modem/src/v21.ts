// ITU-T V.21: 300 bit/s FSK. T.30 §5.3 uses channel 2 (V.21 §2: mark, binary 1, at
// 1650 Hz; space, binary 0, at 1850 Hz) for its control frames. 8 kHz, 16-bit samples.
import type { GetBit, ModemReceiver, ModemReceiverEvents, ModemTransmitter, SignalQuality } from './qam-types.ts';
import { powerDbm0, sineAmplitude } from './tones.ts';

const FS = 8000;
const BAUD = 300;

/** V.21 §2: nominal mean frequencies and ±100 Hz deviation, per channel. */
export const V21_CHANNELS = {
  1: { mark: 980, space: 1180 },
  2: { mark: 1650, space: 1850 },
} as const;

export interface V21TransmitterOptions {
  /** The data; -1 ends the transmission (e.g. `() => hdlc.nextBit()`). */
  getBit: GetBit;
  /** Default 2, the channel of T.30. */
  channel?: 1 | 2;
  /** Transmit level in dBm0; default -13 (V.2 allows at most -9 dBm0 in most networks). */
  levelDbm0?: number;
}

/** Sine table of FS entries: every V.21 frequency is a whole number of Hz, so phases stay exact. */
const SINE = Float64Array.from({ length: FS }, (_, i) => Math.sin((2 * Math.PI * i) / FS));
const COSINE = Float64Array.from({ length: FS }, (_, i) => Math.cos((2 * Math.PI * i) / FS));

/**
 * A V.21 FSK transmitter with continuous phase (V.21 §2 leaves the switching free; keeping
 * the phase avoids splatter). Pulls one bit per 1/300 s from `getBit` and ends, returning
 * fewer samples than asked, after it returned -1.
 */
export class V21Transmitter implements ModemTransmitter {
  private readonly getBit: GetBit;
  private readonly amp: number;
  private readonly mark: number;
  private readonly space: number;
  private phase = 0;
  private baudAcc = FS; // ≥ FS: take a new bit before the first sample
  private freq = 0;
  private ended = false;

  constructor(opts: V21TransmitterOptions) {
    this.getBit = opts.getBit;
    const ch = V21_CHANNELS[opts.channel ?? 2];
    this.mark = ch.mark;
    this.space = ch.space;
    this.amp = sineAmplitude(opts.levelDbm0 ?? -13);
  }

  generate(out: Int16Array): number {
    if (this.ended) return 0;
    for (let i = 0; i < out.length; i++) {
      if (this.baudAcc >= FS) {
        this.baudAcc -= FS;
        const bit = this.getBit();
        if (bit < 0) {
          this.ended = true;
          return i;
        }
        this.freq = bit ? this.mark : this.space;
      }
      this.baudAcc += BAUD;
      out[i] = Math.round(this.amp * SINE[this.phase]);
      this.phase += this.freq;
      if (this.phase >= FS) this.phase -= FS;
    }
    return out.length;
  }
}

export interface V21ReceiverOptions {
  channel?: 1 | 2;
  /** V.21, received line signal detector (circuit 109): "ON" above -43 dBm, "OFF" below -48 dBm. */
  onDbm0?: number;
  offDbm0?: number;
}

// One bit is 26.67 samples; a window of 27 is the matched filter of a bit for both tones.
const WIN = 27;
/** One-pole smoothing of the powers used by carrier detection, time constant about a bit. */
const SMOOTH = 1 / 16;

/**
 * A V.21 FSK receiver: two sliding-window correlators (the tones' matched filters over one bit)
 * give a soft decision; a digital PLL puts the sampling instant half a bit after each decision
 * zero crossing; carrier detection compares the in-band power with V.21's circuit 109 thresholds and
 * requires most of the signal's power to be in band (so CED or CNG do not raise it).
 */
export class V21Receiver implements ModemReceiver {
  private readonly events: ModemReceiverEvents;
  private readonly mark: number;
  private readonly space: number;
  private readonly onMs: number;
  private readonly offMs: number;
  // Ring buffers of the mixer products and of the squared input, and their running sums.
  private readonly buf = new Float64Array(6 * WIN);
  private idx = 0;
  private mr = 0;
  private mi = 0;
  private sr = 0;
  private si = 0;
  private en = 0;
  private pm = 0;
  private ps = 0;
  private inBandAvg = 0;
  private totalAvg = 0;
  private power = 0;
  private bits = 0;
  /** (power, noise) before each of the last 4 bits, newest first. */
  private readonly history = new Float64Array(8);
  private carrier = false;
  private hold = 0;
  private baud = 0;
  private lastSoft = 0;
  private sinceCarrier = 0;
  private noise = 0;

  constructor(opts: V21ReceiverOptions, events: ModemReceiverEvents) {
    this.events = events;
    const ch = V21_CHANNELS[opts.channel ?? 2];
    this.mark = ch.mark;
    this.space = ch.space;
    const ref = sineAmplitude(0) ** 2 / 2;
    this.onMs = ref * 10 ** ((opts.onDbm0 ?? -43) / 10);
    this.offMs = ref * 10 ** ((opts.offDbm0 ?? -48) / 10);
  }

  get carrierUp(): boolean {
    return this.carrier;
  }

  /**
   * Power of the decided tone fitted over each bit (dBm0), and its ratio to what the fit leaves
   * (noise, and the edge of the next bit: about 25 dB on a clean line); `mse` is that ratio's
   * inverse. Figures of the carrier that is up, or of the last one.
   */
  quality(): SignalQuality {
    const mse = Math.max(this.noise, 1e-9) / Math.max(this.power, 1e-9);
    return { powerDbm0: powerDbm0(this.power), snrDb: -10 * Math.log10(mse), mse };
  }

  receive(samples: Int16Array): void {
    const buf = this.buf;
    const norm = 2 / (WIN * WIN);
    for (let n = 0; n < samples.length; n++) {
      const x = samples[n];
      const o = this.idx * 6;
      const mre = x * COSINE[this.pm];
      const mim = x * SINE[this.pm];
      const sre = x * COSINE[this.ps];
      const sim = x * SINE[this.ps];
      const e = x * x;
      this.mr += mre - buf[o];
      this.mi += mim - buf[o + 1];
      this.sr += sre - buf[o + 2];
      this.si += sim - buf[o + 3];
      this.en += e - buf[o + 4];
      buf[o] = mre;
      buf[o + 1] = mim;
      buf[o + 2] = sre;
      buf[o + 3] = sim;
      buf[o + 4] = e;
      buf[o + 5] = x;
      if (++this.idx === WIN) this.idx = 0;
      this.pm += this.mark;
      if (this.pm >= FS) this.pm -= FS;
      this.ps += this.space;
      if (this.ps >= FS) this.ps -= FS;

      const m2 = this.mr * this.mr + this.mi * this.mi;
      const s2 = this.sr * this.sr + this.si * this.si;
      // A sine of amplitude A gives |Σ|² = (A·WIN/2)², so 2|Σ|²/WIN² is its mean square A²/2.
      const inBand = (m2 + s2) * norm;
      this.inBandAvg += (inBand - this.inBandAvg) * SMOOTH;
      this.totalAvg += (this.en / WIN - this.totalAvg) * SMOOTH;
      this.detectCarrier();
      if (!this.carrier) continue;

      // Only the sign of the soft decision is used: mark when the 1650 Hz filter wins.
      const soft = m2 - s2;
      this.sinceCarrier++;
      // DPLL: a zero crossing of the soft decision should fall at baud phase FS/2, half way
      // between two sampling instants; pull the phase towards it, fast while acquiring.
      if ((soft >= 0) !== (this.lastSoft >= 0) && this.sinceCarrier > 1) {
        const err = this.baud - FS / 2;
        this.baud -= err * (this.sinceCarrier < 8 * WIN ? 0.5 : 0.125);
      }
      this.lastSoft = soft;
      this.baud += BAUD;
      if (this.baud >= FS) {
        this.baud -= FS;
        this.measure(soft >= 0 ? this.mark : this.space, soft >= 0 ? this.pm : this.ps);
        this.events.bit?.(soft >= 0 ? 1 : 0);
      }
    }
  }

  /**
   * Signal and noise of one bit: the least-squares fit of a sine at the decided tone over the
   * window that just covered the bit is the signal, what the fit leaves is noise. Averaged over
   * about 20 bits, and kept as they were a few bits earlier, so that the bits sampled while the
   * carrier fades out at the end of a transmission do not spoil the figures of the transmission.
   */
  private measure(freq: number, phaseNow: number): void {
    const buf = this.buf;
    let a = 0, b = 0, cc = 0, ss = 0, cs = 0;
    // The oldest sample in the ring (at this.idx) was mixed at phase phaseNow − WIN·freq.
    let ph = (((phaseNow - WIN * freq) % FS) + FS) % FS;
    for (let k = 0, j = this.idx; k < WIN; k++) {
      const x = buf[j * 6 + 5];
      const c = COSINE[ph];
      const sn = SINE[ph];
      a += x * c;
      b += x * sn;
      cc += c * c;
      ss += sn * sn;
      cs += c * sn;
      ph += freq;
      if (ph >= FS) ph -= FS;
      if (++j === WIN) j = 0;
    }
    const det = cc * ss - cs * cs;
    const fit = det > 0 ? (a * a * ss - 2 * a * b * cs + b * b * cc) / det : 0;
    const signal = fit / WIN;
    const noise = Math.max(0, this.en - fit) / WIN;
    const h = this.history;
    h.copyWithin(2, 0, h.length - 2);
    h[0] = this.power;
    h[1] = this.noise;
    if (this.bits++ === 0) {
      this.power = signal;
      this.noise = noise;
      return;
    }
    this.power += (signal - this.power) * 0.05;
    this.noise += (noise - this.noise) * 0.05;
  }

  private detectCarrier(): void {
    const inBand = this.inBandAvg;
    const total = this.totalAvg;
    if (!this.carrier) {
      // Up when the in-band power clears the ON level and holds most of what is on the line,
      // for a whole bit (white noise reaches that share only in short bursts).
      if (inBand > this.onMs && inBand > 0.6 * total) {
        if (++this.hold >= WIN) {
          this.carrier = true;
          this.hold = 0;
          this.sinceCarrier = 0;
          this.bits = 0;
          this.baud = 0;
          this.lastSoft = 0;
          this.events.carrier?.(true);
        }
      } else this.hold = 0;
      return;
    }
    // Down after a bit's time under the OFF level, or mostly out of band.
    if (inBand < this.offMs || inBand < 0.2 * total) {
      if (++this.hold >= WIN) {
        this.carrier = false;
        this.hold = 0;
        const h = this.history;
        const back = Math.min(this.bits - 1, h.length / 2 - 1) * 2;
        if (back >= 0) [this.power, this.noise] = [h[back], h[back + 1]];
        this.events.carrier?.(false);
      }
    } else this.hold = 0;
  }
}
