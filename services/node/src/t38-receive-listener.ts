import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createT30Engine, type SessionParams } from '@faxgate/t30';
import { T38Terminal, decodeReceivedPage, receivedTiff } from '@faxgate/t38';
import type { Logger } from 'pino';
import type { ReceiveOutcome, ReceivedFaxSink } from '@faxgate/line-driver';

export interface T38ReceiveOptions {
  host: string;
  port: number;
  /** The number this UDPTL port answers for (without SIP, the line has no other way to learn it). */
  did: string;
  /** Our station id in CSI (T.30 §5.3.6.2.2). */
  localId: string;
  line: string;
  log: Logger;
  sink: ReceivedFaxSink;
}

/**
 * The t38 line's receive side: waits on a UDPTL port, answers the peer whose datagram arrives
 * first (T.38 §9: the answering gateway learns the far end from it), runs the call through the
 * sans-IO T.30 engine as the called terminal, and hands every page that arrived to the node's
 * received-fax sink, the failed calls' pages too (marked partial). One call at a time per port.
 */
export class T38ReceiveListener {
  private readonly o: T38ReceiveOptions;
  private socket: Socket | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private current: CallPort | undefined;
  /** The last call's peer and until when its late datagrams are ignored. */
  private quiet: { key: string; until: number } | undefined;
  port = 0;

  constructor(o: T38ReceiveOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.bind(this.o.port);
    this.loop = this.serve().catch((err) => this.o.log.error({ err: (err as Error).message }, 't38 receive loop stopped'));
  }

  async stop(): Promise<void> {
    this.running = false;
    // A call waiting for its first datagram never resolves: closing the socket abandons it,
    // and a call in progress can no longer send.
    this.current?.close();
    this.socket?.close();
    this.socket = undefined;
  }

  private async bind(port: number): Promise<void> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, this.o.host, () => resolve());
    });
    s.on('error', (err) => this.o.log.warn({ err: err.message }, 't38 receive socket error'));
    s.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      // Redundant copies of the last call's final packets must not look like a new call.
      if (this.quiet && this.quiet.key === key && Date.now() < this.quiet.until) return;
      this.current?.emit('message', msg, rinfo);
    });
    this.socket = s;
    this.port = s.address().port;
  }

  private async serve(): Promise<void> {
    while (this.running && this.socket) {
      const socket = new CallPort(this.socket);
      this.current = socket;
      const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
      const engine = createT30Engine({
        role: 'receive',
        localId: this.o.localId,
        ecm: true,
        modems: ['v27ter', 'v29', 'v17'],
        encodings: ['mh', 'mr', 'mmr'],
        judgePage: (data, params) => decodeReceivedPage(data, params),
      });
      let answeredAt = 0;
      let peerKey = '';
      socket.once('message', (_m: Buffer, r: RemoteInfo) => {
        answeredAt = Date.now();
        peerKey = `${r.address}:${r.port}`;
      });
      const terminal = new T38Terminal({ socket: socket as unknown as Socket, engine, calling: false, onAction: (a) => a.type === 'page-received' && pages.push({ data: a.data, params: a.params }) });
      const result = await terminal.run();
      socket.close();
      this.quiet = { key: peerKey, until: Date.now() + 5000 };
      if (!this.running) return;
      let badRows = 0;
      for (const p of pages) badRows += decodeReceivedPage(p.data, p.params).badRows;
      const outcome: ReceiveOutcome = {
        document: pages.length ? receivedTiff(pages) : undefined,
        pages: pages.length,
        badRows,
        csid: result.remoteId || undefined,
        subAddress: result.subaddress || undefined,
        partial: !result.success,
        durationMs: answeredAt ? Date.now() - answeredAt : 0,
        ...(result.success ? {} : { reason: result.sentence }),
      };
      // A stray datagram after a call (redundant copies) starts a "call" that never trains.
      const realCall = pages.length > 0 || result.remoteId !== '';
      if (realCall) try {
        const id = await this.o.sink({ callId: `t38-${Date.now().toString(36)}`, line: this.o.line, did: this.o.did, callingNumber: '' }, outcome);
        this.o.log.info({ inboundId: id, pages: pages.length, success: result.success, remoteId: result.remoteId }, 't38 call received');
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'a received T.38 fax could not be stored');
      }
    }
  }
}

/**
 * What a T38Terminal sees as its socket: the listener's socket for one call. Once the call is
 * over (or the node stops) it drops whatever the terminal still sends, so a finished call's
 * timers never write to a closed socket or into the next call.
 */
class CallPort extends EventEmitter {
  private readonly socket: Socket;
  private closed = false;
  constructor(socket: Socket) {
    super();
    this.socket = socket;
  }
  send(data: Uint8Array, port: number, host: string): void {
    if (this.closed) return;
    try {
      this.socket.send(data, port, host);
    } catch {
      // The socket closed under a running call (shutdown): the datagram has nowhere to go.
    }
  }
  close(): void {
    this.closed = true;
    this.removeAllListeners();
  }
}
