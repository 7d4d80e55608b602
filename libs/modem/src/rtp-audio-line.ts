// A G.711 RTP stream as the line of an audio terminal: every 20 ms, on the paced sender's
// clock, the jitter buffer's next frame goes to the terminal and the terminal's next frame goes
// out as one RTP packet. The far end's packets are read from the same UDP socket.
import type { RemoteInfo, Socket } from 'node:dgram';
import { G711_PAYLOAD_TYPE, type G711Law } from './g711.ts';
import { JitterBuffer, type JitterBufferStats } from './rtp-jitter-buffer.ts';
import { decodeRtp } from './rtp-packet.ts';
import { RtpPacedSender } from './rtp-pacer.ts';
import { RtpPacketiser, SAMPLES_PER_PACKET } from './rtp-packetiser.ts';

/** What the line drives: 20 ms of received audio in, 20 ms to send out. */
export interface AudioEndpoint {
  receive(samples: Int16Array): void;
  generate(out: Int16Array): void;
  /** True once the endpoint has nothing more to say (the line then hangs up). */
  readonly finished: boolean;
}

export interface RtpAudioLineOptions {
  socket: Socket;
  peer: { host: string; port: number };
  law: G711Law;
  endpoint: AudioEndpoint;
  /** Jitter buffer depth in 20 ms frames; default 3. */
  delayFrames?: number;
  /** Frames still sent after the endpoint finished (its last signal's tail); default 10. */
  hangupFrames?: number;
}

/** Runs until the endpoint finished (plus `hangupFrames`) or {@link stop}. */
export class RtpAudioLine {
  private readonly o: RtpAudioLineOptions;
  private readonly jitter: JitterBuffer;
  private readonly packetiser: RtpPacketiser;
  private readonly sender: RtpPacedSender;
  private readonly rx = new Int16Array(SAMPLES_PER_PACKET);
  private readonly tx = new Int16Array(SAMPLES_PER_PACKET);
  private afterFinish = 0;
  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (rinfo.address !== this.o.peer.host || rinfo.port !== this.o.peer.port) return;
    const p = decodeRtp(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    if (p) this.jitter.push(p);
  };
  /** Resolves when the line has stopped. */
  readonly done: Promise<void>;

  constructor(o: RtpAudioLineOptions) {
    this.o = o;
    this.jitter = new JitterBuffer({ law: o.law, payloadType: G711_PAYLOAD_TYPE[o.law], delayFrames: o.delayFrames ?? 3 });
    this.packetiser = new RtpPacketiser({ law: o.law });
    this.sender = new RtpPacedSender({
      send: (p) => this.o.socket.send(p, this.o.peer.port, this.o.peer.host),
      next: () => this.tick(),
    });
    this.done = this.sender.done.then(() => {
      this.o.socket.off('message', this.onMessage);
    });
  }

  start(): void {
    this.o.socket.on('message', this.onMessage);
    this.sender.start();
  }

  stop(): void {
    this.sender.stop();
  }

  get stats(): JitterBufferStats {
    return this.jitter.stats;
  }

  private tick(): Uint8Array | undefined {
    const { endpoint } = this.o;
    if (endpoint.finished && ++this.afterFinish > (this.o.hangupFrames ?? 10)) return undefined;
    endpoint.receive(this.jitter.pull(this.rx));
    endpoint.generate(this.tx);
    return this.packetiser.packetise(this.tx);
  }
}
