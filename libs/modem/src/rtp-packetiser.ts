// G.711 audio into RTP packets of 20 ms (RFC 3551 §4.5.14 PCMU/PCMA, 8000 Hz, one octet per
// sample; §4.2: 20 ms is the default packetisation).
import { randomInt } from 'node:crypto';
import { G711_PAYLOAD_TYPE, g711Encode, type G711Law } from './g711.ts';
import { encodeRtp } from './rtp-packet.ts';

/** Samples per 20 ms packet at 8 kHz. */
export const SAMPLES_PER_PACKET = 160;
export const PACKET_MS = 20;

export interface RtpPacketiserOptions {
  law: G711Law;
  /** RFC 3550 §5.1: SSRC, initial sequence number and timestamp are random by default. */
  ssrc?: number;
  sequence?: number;
  timestamp?: number;
}

/**
 * Numbers the packets of one RTP stream: sequence +1 and timestamp +160 per packet, the marker
 * bit on the first packet (RFC 3551 §4.1: the first packet of a talkspurt).
 */
export class RtpPacketiser {
  readonly ssrc: number;
  readonly payloadType: number;
  private readonly law: G711Law;
  private seq: number;
  private ts: number;
  private first = true;

  constructor(opts: RtpPacketiserOptions) {
    this.law = opts.law;
    this.payloadType = G711_PAYLOAD_TYPE[opts.law];
    this.ssrc = (opts.ssrc ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
    this.seq = (opts.sequence ?? randomInt(0, 0x10000)) & 0xffff;
    this.ts = (opts.timestamp ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  }

  /** One packet of `samples` (normally 160); advances sequence and timestamp. */
  packetise(samples: Int16Array): Uint8Array {
    const p = encodeRtp({
      payloadType: this.payloadType,
      marker: this.first,
      sequence: this.seq,
      timestamp: this.ts,
      ssrc: this.ssrc,
      payload: g711Encode(this.law, samples),
    });
    this.first = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + samples.length) >>> 0;
    return p;
  }
}
