import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { LocalMedia } from '@faxgate/sip';

/**
 * The media ports of one SIP fax call: an audio port named in the G.711 offer (its RTP is read
 * and dropped: faxgate only faxes over T.38) and the UDPTL port of the T.38 stream. The UDPTL
 * side is handed to the T.38 terminal as its socket; once the call is over it drops whatever
 * the terminal still sends, so late timers never write to a closed socket.
 */
export class CallMedia extends EventEmitter {
  private closed = false;
  private readonly audio: Socket;
  private readonly udptl: Socket;
  private constructor(audio: Socket, udptl: Socket) {
    super();
    this.audio = audio;
    this.udptl = udptl;
    audio.on('message', () => undefined);
    audio.on('error', () => undefined);
    udptl.on('message', (m: Buffer, r: RemoteInfo) => this.emit('message', m, r));
    // A send error (ICMP unreachable) before the terminal listens, or after the call, is dropped:
    // an 'error' without a listener would throw.
    udptl.on('error', (e) => {
      if (!this.closed && this.listenerCount('error') > 0) this.emit('error', e);
    });
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
      return new CallMedia(audio, await bind());
    } catch (err) {
      audio.close();
      throw err;
    }
  }

  /** What the SDP offers and answers name, at the address others reach us at. */
  local(advertisedHost: string): LocalMedia {
    return { address: advertisedHost, audioPort: this.audio.address().port, imagePort: this.udptl.address().port };
  }

  /** The T.38 terminal's send (dgram Socket#send shape). */
  send(data: Uint8Array, port: number, host: string): void {
    if (this.closed) return;
    try {
      this.udptl.send(data, port, host);
    } catch {
      // closed under a running call
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    this.audio.close();
    this.udptl.close();
  }
}
