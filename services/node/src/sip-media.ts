import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { LocalMedia } from '@faxgate/sip';
import type { MediaPortRange } from './sip-media-ports.ts';

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

  /** `done` runs once the port is free to bind again. */
  close(done?: () => void): void {
    if (this.closed) {
      done?.();
      return;
    }
    this.closed = true;
    this.removeAllListeners();
    this.socket.close(done);
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
  private readonly release: () => void;
  private constructor(rtp: MediaPort, udptl: MediaPort, release: () => void = () => {}) {
    this.rtp = rtp;
    this.udptl = udptl;
    this.release = release;
  }

  /**
   * Binds the call's ports: in `range` when the node has one (FAXGATE_SIP_MEDIA_PORTS; throws
   * MediaPortsExhausted when it is full), else any free ports.
   */
  static async open(host: string, range?: MediaPortRange): Promise<CallMedia> {
    if (range) {
      const block = await range.take(host);
      return new CallMedia(new MediaPort(block.rtp), new MediaPort(block.udptl), block.release);
    }
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

  /** Closes both sockets and gives their ports back to the range. */
  /** Resolves once the ports are back in the range, free for the next call. */
  close(): Promise<void> {
    // libuv closes the sockets a tick later: the ports go back only then, so the next call
    // taking them does not meet EADDRINUSE.
    return new Promise<void>((resolve) => {
      let open = 2;
      const closed = () => {
        if (--open > 0) return;
        this.release();
        resolve();
      };
      this.rtp.close(closed);
      this.udptl.close(closed);
    });
  }
}
