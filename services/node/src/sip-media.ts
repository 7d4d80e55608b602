import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { LocalMedia } from '@faxgate/sip';

/**
 * One UDP port of a call as its fax terminal sees it (dgram Socket's `on('message')` and
 * `send(data, port, host)`): once the call is over it drops whatever the terminal still sends,
 * so late timers never write to a closed socket, and a send error (ICMP unreachable from a far
 * end not listening yet) never throws.
 */
export class MediaPort extends EventEmitter {
  private closed = false;
  readonly socket: Socket;
  constructor(socket: Socket) {
    super();
    this.socket = socket;
    socket.on('message', (m: Buffer, r: RemoteInfo) => this.emit('message', m, r));
    socket.on('error', (e) => {
      if (!this.closed && this.listenerCount('error') > 0) this.emit('error', e);
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Uint8Array, port: number, host: string): void {
    if (this.closed) return;
    try {
      this.socket.send(data, port, host);
    } catch {
      // closed under a running call
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    this.socket.close();
  }
}

/**
 * The media ports of one SIP fax call: the G.711 RTP port named in the audio offer or answer
 * (RFC 3550; the audio fax terminal's line when the call faxes over audio) and the UDPTL port
 * of the T.38 stream (T.38 Annex D). Both are bound for every call: which one carries the fax
 * is only known once the far end has answered the offers.
 */
export class CallMedia {
  readonly rtp: MediaPort;
  readonly udptl: MediaPort;
  private constructor(rtp: MediaPort, udptl: MediaPort) {
    this.rtp = rtp;
    this.udptl = udptl;
  }

  static async open(host: string): Promise<CallMedia> {
    const bind = () => new Promise<Socket>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    const audio = await bind();
    try {
      return new CallMedia(new MediaPort(audio), new MediaPort(await bind()));
    } catch (err) {
      audio.close();
      throw err;
    }
  }

  /** What the SDP offers and answers name, at the address others reach us at. */
  local(advertisedHost: string): LocalMedia {
    return { address: advertisedHost, audioPort: this.rtp.port, imagePort: this.udptl.port };
  }

  close(): void {
    this.rtp.close();
    this.udptl.close();
  }
}
