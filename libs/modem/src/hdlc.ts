// HDLC framing for T.30 (T.30 §5.3.7, which points at ISO/IEC 13239): flags, zero-bit
// insertion and deletion, the 16-bit frame check sequence, aborts, and the preamble of flags
// of T.30 §5.3.1. Bits travel least significant bit of each octet first (ISO/IEC 13239 §4.4).
// Sans-IO: the transmitter is a bit source for a modem, the receiver a bit sink.

/** A source of bits for a modem transmitter: 0 or 1, or -1 when the transmission has ended. */
export interface BitSource {
  nextBit(): number;
}

/** A sink of demodulated bits. */
export interface BitSink {
  putBit(bit: number): void;
}

const FCS_TABLE = (() => {
  // ISO/IEC 13239 §4.2.2.1: generator x^16 + x^12 + x^5 + 1, processed low bit first
  // (reflected: 0x8408).
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** The running CRC register over `data`, starting from `crc` (0xFFFF: ISO/IEC 13239 preset). */
export function crc16(data: Uint8Array, crc = 0xffff): number {
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ FCS_TABLE[(crc ^ data[i]) & 0xff];
  return crc;
}

/** The FCS to append to a frame: the one's complement of the register, low octet first. */
export function fcs16(frame: Uint8Array): Uint8Array {
  const c = ~crc16(frame) & 0xffff;
  return Uint8Array.of(c & 0xff, c >>> 8);
}

/** ISO/IEC 13239 §4.2.2.1: a frame with a correct FCS leaves this remainder in the register. */
export const FCS16_GOOD_REMAINDER = 0xf0b8;

const FLAG = 0x7e;

/** T.30 §5.3.1: the preamble is 1 s ± 15 % of flags; at 300 bit/s that is 37.5 octets. */
export function preambleFlags(bitRate: number, seconds = 1): number {
  return Math.ceil((bitRate * seconds) / 8);
}

export interface HdlcTransmitterOptions {
  /** Flags before the first frame (T.30 §5.3.1); default one second's worth at 300 bit/s. */
  preambleFlags?: number;
  /** Flags after the closing flag of the last frame, so the far receiver clocks it out. */
  trailingFlags?: number;
}

/**
 * A bit source that sends a preamble of flags, the queued frames each followed by its FCS and
 * a flag (one flag both closes a frame and opens the next, ISO/IEC 13239 §4.3.1), and idle
 * flags while the queue is empty. After {@link finish} and the last queued frame it ends.
 */
export class HdlcTransmitter implements BitSource {
  private readonly queue: Uint8Array[] = [];
  private bits: number[] = [];
  private pos = 0;
  private finished = false;
  private ended = false;
  private trailing: number;

  constructor(opts: HdlcTransmitterOptions = {}) {
    const pre = opts.preambleFlags ?? preambleFlags(300);
    this.trailing = opts.trailingFlags ?? 2;
    for (let i = 0; i < pre; i++) this.pushOctet(FLAG);
  }

  /** Queues a frame (address, control, FCF, FIF: without FCS). */
  sendFrame(frame: Uint8Array): void {
    if (this.finished) throw new Error('HDLC transmitter: frame queued after finish()');
    this.queue.push(frame);
  }

  /** Ends the transmission once every queued frame has gone. */
  finish(): void {
    this.finished = true;
  }

  /** ISO/IEC 13239 §4.3.3: aborts the frame in progress with seven or more ones, then flags. */
  abort(): void {
    this.bits = this.bits.slice(this.pos, this.pos);
    this.pos = 0;
    for (let i = 0; i < 8; i++) this.bits.push(1);
    this.pushOctet(FLAG);
  }

  /** Frames queued and not yet started. */
  get pending(): number {
    return this.queue.length;
  }

  nextBit(): number {
    if (this.pos >= this.bits.length) {
      if (this.ended) return -1;
      this.bits = [];
      this.pos = 0;
      const frame = this.queue.shift();
      if (frame) this.pushFrame(frame);
      else if (this.finished && this.trailing-- > 0) this.pushOctet(FLAG);
      else if (this.finished) {
        this.ended = true;
        return -1;
      } else this.pushOctet(FLAG);
    }
    return this.bits[this.pos++];
  }

  private pushOctet(octet: number): void {
    for (let k = 0; k < 8; k++) this.bits.push((octet >> k) & 1);
  }

  private pushFrame(frame: Uint8Array): void {
    let ones = 0;
    const put = (octet: number) => {
      for (let k = 0; k < 8; k++) {
        const b = (octet >> k) & 1;
        this.bits.push(b);
        ones = b ? ones + 1 : 0;
        // ISO/IEC 13239 §4.3.2: a 0 after five contiguous 1s inside the frame.
        if (ones === 5) {
          this.bits.push(0);
          ones = 0;
        }
      }
    };
    for (const o of frame) put(o);
    for (const o of fcs16(frame)) put(o);
    this.pushOctet(FLAG);
  }
}

export interface HdlcReceiverEvents {
  /** A frame between flags, without its FCS; `ok` false when the FCS check failed. */
  onFrame?(frame: Uint8Array, ok: boolean): void;
  /** `framingOk` flags in a row were seen (the T.30 preamble is present). */
  onFramingOk?(): void;
  /** A frame in progress was aborted (seven or more 1s). */
  onAbort?(): void;
}

export interface HdlcReceiverOptions {
  /** Contiguous flags that count as a preamble; default 5. */
  framingOk?: number;
  /**
   * Longest frame accepted, octets including FCS; default 262, an ECM frame (T.30 §A.3.6.3:
   * address, control, FCD, frame number, 256 octets of data) with its FCS.
   */
  maxFrame?: number;
}

/** Statistics of an HDLC receiver since it started. */
export interface HdlcStats {
  goodFrames: number;
  badFcs: number;
  /** Frames whose length was not whole octets, too short, or too long. */
  lengthErrors: number;
  aborts: number;
}

/**
 * A bit sink that finds flags, removes inserted zeros, checks each frame's FCS and reports the
 * frame. Frames shorter than address + control + FCS are dropped as noise.
 */
export class HdlcReceiver implements BitSink {
  private readonly events: HdlcReceiverEvents;
  private readonly framingThreshold: number;
  private readonly maxBits: number;
  private readonly bits: Uint8Array;
  private nbits = 0;
  private ones = 0;
  private synced = false;
  private flags = 0;
  private framingReported = false;
  readonly stats: HdlcStats = { goodFrames: 0, badFcs: 0, lengthErrors: 0, aborts: 0 };

  constructor(events: HdlcReceiverEvents, opts: HdlcReceiverOptions = {}) {
    this.events = events;
    this.framingThreshold = opts.framingOk ?? 5;
    // The frame, plus the 7 bits of the closing flag that enter the buffer before it is seen.
    this.maxBits = (opts.maxFrame ?? 262) * 8 + 7;
    this.bits = new Uint8Array(this.maxBits + 8);
  }

  /** Forgets any frame in progress and the preamble count (e.g. after a carrier drop). */
  reset(): void {
    this.nbits = 0;
    this.ones = 0;
    this.synced = false;
    this.flags = 0;
    this.framingReported = false;
  }

  putBit(bit: number): void {
    if (bit) {
      this.ones++;
      if (this.ones === 7) {
        // ISO/IEC 13239 §4.3.3: abort. Anything collected is void until the next flag.
        if (this.synced && this.nbits > 7) {
          this.stats.aborts++;
          this.events.onAbort?.();
        }
        this.synced = false;
        this.flags = 0;
        this.nbits = 0;
      }
      if (this.ones >= 7) return;
      this.append(1);
      return;
    }
    const ones = this.ones;
    this.ones = 0;
    if (ones === 6) {
      this.flag();
      return;
    }
    if (ones === 5) return; // an inserted zero
    if (ones >= 7) return; // the 0 ending an abort or idle 1s: still hunting for a flag
    this.append(0);
  }

  private append(bit: number): void {
    if (!this.synced) return;
    if (this.nbits >= this.maxBits) {
      // Too long: keep hunting for the closing flag but drop the frame.
      this.stats.lengthErrors++;
      this.synced = false;
      this.nbits = 0;
      return;
    }
    this.bits[this.nbits++] = bit;
  }

  private flag(): void {
    // The flag's leading 0 and six 1s went into the buffer before it was recognised.
    const n = this.nbits - 7;
    this.nbits = 0;
    if (this.synced && n > 0) {
      this.flags = 0;
      this.frame(n);
    } else {
      this.flags++;
      if (this.flags >= this.framingThreshold && !this.framingReported) {
        this.framingReported = true;
        this.events.onFramingOk?.();
      }
    }
    this.synced = true;
  }

  private frame(n: number): void {
    if (n % 8 !== 0 || n < 32) {
      // Bits between flags that are not a frame of whole octets (noise, or a damaged frame).
      this.stats.lengthErrors++;
      return;
    }
    const octets = new Uint8Array(n / 8);
    for (let i = 0; i < n; i++) octets[i >> 3] |= this.bits[i] << (i & 7);
    const ok = crc16(octets) === FCS16_GOOD_REMAINDER;
    if (ok) this.stats.goodFrames++;
    else this.stats.badFcs++;
    this.events.onFrame?.(octets.subarray(0, octets.length - 2), ok);
  }
}
