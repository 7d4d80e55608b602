// A fixed-delay jitter buffer for one G.711 RTP stream: packets are placed by timestamp, so
// reordering is undone; playout starts a fixed delay after the first packet and then takes one
// 20 ms frame per pull; a frame that did not arrive in time is filled (silence, or the last
// sample held). No VAD, no comfort noise: fax modems need the exact sample stream or nothing.
// Packets of other payload types (RFC 4733 telephone-events, comfort noise) are ignored.
import { g711Decode, type G711Law } from './g711.ts';
import { SAMPLES_PER_PACKET } from './rtp-packetiser.ts';
import { tsDelta, type RtpPacket } from './rtp-packet.ts';

export interface JitterBufferOptions {
  law: G711Law;
  /** RTP payload type of the negotiated G.711 stream (RFC 3551: PCMU 0, PCMA 8). */
  payloadType: number;
  /** Frames of 20 ms held before playout starts; default 3 (60 ms). */
  delayFrames?: number;
  /** Frames held at most; packets further ahead restart playout at them. Default 50 (1 s). */
  capacityFrames?: number;
  /** What a missing frame becomes; default 'silence'. */
  fill?: 'silence' | 'hold';
}

export interface JitterBufferStats {
  received: number;
  /** Arrived after their frame was played (or a second copy of one held). */
  late: number;
  duplicates: number;
  /** Frames played out as fill because their packet was missing. */
  filled: number;
  /** Packets of another payload type, e.g. RFC 4733 telephone-event. */
  ignored: number;
  /** Times playout was restarted (new SSRC, or a timestamp jump beyond the capacity). */
  restarts: number;
}

/** Holds G.711 payloads by timestamp and plays 160-sample frames out on each {@link pull}. */
export class JitterBuffer {
  private readonly opts: Required<JitterBufferOptions>;
  private readonly frames = new Map<number, Uint8Array>();
  private ssrc: number | undefined;
  /** Timestamp of the next frame to play; undefined until the first packet. */
  private next: number | undefined;
  private waiting = 0;
  private playing = false;
  private last = 0;
  readonly stats: JitterBufferStats = { received: 0, late: 0, duplicates: 0, filled: 0, ignored: 0, restarts: 0 };

  constructor(opts: JitterBufferOptions) {
    this.opts = { delayFrames: 3, capacityFrames: 50, fill: 'silence', ...opts };
  }

  push(p: RtpPacket): void {
    if (p.payloadType !== this.opts.payloadType) {
      this.stats.ignored++;
      return;
    }
    if (this.ssrc !== p.ssrc || this.next === undefined) {
      if (this.ssrc !== undefined) this.stats.restarts++;
      this.restart(p);
    }
    let ahead = tsDelta(p.timestamp, this.next as number);
    if (ahead < 0 && !this.playing && -ahead < this.opts.capacityFrames * SAMPLES_PER_PACKET) {
      // Overtaken before playout began: the stream starts earlier than its first arrival.
      this.next = p.timestamp;
      ahead = 0;
    }
    if (ahead < 0) {
      this.stats.late++;
      return;
    }
    if (ahead >= this.opts.capacityFrames * SAMPLES_PER_PACKET) {
      this.stats.restarts++;
      this.restart(p);
      ahead = 0;
    }
    this.stats.received++;
    // Payloads of other lengths than 20 ms are split into 20 ms frames on the same grid.
    for (let off = 0; off < p.payload.length; off += SAMPLES_PER_PACKET) {
      const ts = (p.timestamp + off) >>> 0;
      if (this.frames.has(ts)) {
        this.stats.duplicates++;
        return;
      }
      const chunk = new Uint8Array(SAMPLES_PER_PACKET).fill(p.payload[p.payload.length - 1]);
      chunk.set(p.payload.subarray(off, off + SAMPLES_PER_PACKET));
      this.frames.set(ts, chunk);
    }
  }

  /** The next 20 ms of audio: silence before playout starts, then the stream with gaps filled. */
  pull(out = new Int16Array(SAMPLES_PER_PACKET)): Int16Array {
    if (this.next === undefined || this.waiting > 0) {
      if (this.waiting > 0) this.waiting--;
      out.fill(0);
      return out;
    }
    this.playing = true;
    const payload = this.frames.get(this.next);
    if (payload) {
      this.frames.delete(this.next);
      g711Decode(this.opts.law, payload, out);
      this.last = out[out.length - 1];
    } else {
      this.stats.filled++;
      out.fill(this.opts.fill === 'hold' ? this.last : 0);
    }
    this.next = (this.next + SAMPLES_PER_PACKET) >>> 0;
    return out;
  }

  /** Frames held and not yet played. */
  get depth(): number {
    return this.frames.size;
  }

  private restart(p: RtpPacket): void {
    this.frames.clear();
    this.ssrc = p.ssrc;
    this.next = p.timestamp;
    this.waiting = this.opts.delayFrames;
    this.playing = false;
  }
}
