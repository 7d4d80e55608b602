// The transport adapter around the sans-IO UserAgent: owns the UDP socket or the TCP or TLS
// listener and connections (RFC 3261 §18, §26.2.1), the clock (one setTimeout per timer id),
// and turns the core's actions into datagrams, stream writes and events.
import { createSocket, type Socket } from 'node:dgram';
import { createConnection, createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { EventEmitter } from 'node:events';
import { parseMessage, serialise, StreamFramer, type SipMessage } from './message.ts';
import { UserAgent, type UaEvent, type UserAgentConfig } from './user-agent.ts';
import type { Action, Peer, TransportName } from './actions.ts';

export interface SipEndpointOptions extends Omit<UserAgentConfig, 'advertised' | 'transport'> {
  bindHost: string;
  /** 0 picks a free port. */
  bindPort: number;
  transport?: TransportName;
  /** Address and port put in Via, Contact and SDP when the node sits behind NAT; default: the bound ones. */
  advertised?: { host: string; port?: number };
  /**
   * TLS (transport 'TLS'): this node's certificate chain and key, PEM; `ca` adds trust anchors
   * for the far end's certificate (a private CA), else the system's CAs judge it. The far end's
   * certificate must name the host we connect to (RFC 5922 §7.2; an IP address by IP SAN).
   */
  tls?: { cert: string; key: string; ca?: string };
  /** Sees every message in and out (for logs). */
  trace?: (dir: 'in' | 'out', peer: Peer, msg: SipMessage | string) => void;
  /** Receive queue asked for the UDP socket, bytes (default SIP_UDP_RECEIVE_BUFFER). */
  udpReceiveBuffer?: number;
}

/** A core timer: its timeout, then the turn's check phase in which it ticks. */
interface PendingTimer {
  timeout: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

/**
 * Work per turn of the event loop, in ms, after which received datagrams wait for the next turn.
 * Issue 13: a process must not block its loop for more than a few milliseconds; 50 calls starting
 * together land 50 INVITEs (or 200s, ACKs, BYEs) in one poll phase, and each starts or ends a
 * call: its T.30 engine, modems and RTP line (turns of 59-72 ms at the calls' start in
 * bench/sip-audio-loop, docs/performance.md). The same budget as the RTP pacers'
 * (rtp-pacer.ts), which run the calls' audio in the check phase too.
 */
const INPUT_TURN_BUDGET_MS = 3;

/** 4 MiB: 1,000 calls starting within a second on one socket dropped nothing with it. */
export const SIP_UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

/**
 * One SIP endpoint on one port: events come out as `'event'` (a UaEvent); commands are run
 * through `do(ua => ua.invite(…))` so their actions are performed.
 */
export class SipEndpoint extends EventEmitter<{ event: [UaEvent]; error: [Error] }> {
  private readonly o: SipEndpointOptions;
  private udp?: Socket;
  private tcp?: Server;
  private readonly conns = new Map<string, { socket: TcpSocket; framer: StreamFramer }>();
  private readonly timers = new Map<string, PendingTimer>();
  private agent?: UserAgent;
  /**
   * What waits for the loop's check phase, in the order it came: datagrams read from the UDP
   * socket and, behind them, the ticks of timers that expired in the same turn.
   */
  private readonly inbox: (() => void)[] = [];
  private inboxHead = 0;
  private drainer: NodeJS.Immediate | undefined;
  port = 0;

  constructor(o: SipEndpointOptions) {
    super();
    this.o = o;
  }

  /**
   * The UDP socket's receive queue as the kernel granted it, bytes (Linux reports twice the
   * usable size, as socket(7) says); undefined before start or on TCP/TLS.
   */
  get udpReceiveBuffer(): number | undefined {
    return this.udp?.getRecvBufferSize();
  }

  get transport(): TransportName {
    return this.o.transport ?? 'UDP';
  }

  get ua(): UserAgent {
    if (!this.agent) throw new Error('SIP endpoint not started');
    return this.agent;
  }

  async start(): Promise<void> {
    if (this.transport === 'UDP') {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(this.o.bindPort, this.o.bindHost, () => {
          s.off('error', reject);
          resolve();
        });
      });
      // ICMP unreachable from a peer that went away: reported when someone listens, never fatal.
      s.on('error', (err) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
        else this.o.trace?.('in', { host: '', port: 0, transport: 'UDP' }, `socket error: ${err.message}`);
      });
      s.on('message', (data, r) => this.queue(() => this.input(data, { host: r.address, port: r.port, transport: 'UDP' })));
      // Calls starting together (a node's lines all freed at once, a carrier's burst of incoming
      // calls) land hundreds of datagrams on this one socket while the loop is busy; Linux's
      // default 208 KiB queue overflowed at 1,000 calls (3,000-6,000 datagrams dropped, calls
      // lost to 408). The kernel caps the request at net.core.rmem_max: udpReceiveBuffer says
      // what was granted, for the caller to warn about.
      try {
        s.setRecvBufferSize(this.o.udpReceiveBuffer ?? SIP_UDP_RECEIVE_BUFFER);
      } catch {
        // Refused outright: the default queue stays.
      }
      this.udp = s;
      this.port = s.address().port;
    } else if (this.transport === 'TLS') {
      if (!this.o.tls) throw new Error('SIP over TLS needs a certificate and key');
      const { cert, key, ca } = this.o.tls;
      // Connections from the far end (its requests, or responses on a connection it opened).
      const srv = createTlsServer({ cert, key, ...(ca ? { ca } : {}) }, (sock) => this.adopt(sock));
      srv.on('tlsClientError', (err, sock) => this.transportError(new Error(`TLS handshake from ${sock.remoteAddress}:${sock.remotePort} failed: ${err.message}`)));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(this.o.bindPort, this.o.bindHost, () => resolve());
      });
      this.tcp = srv;
      this.port = (srv.address() as { port: number }).port;
    } else {
      const srv = createServer((sock) => this.adopt(sock));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(this.o.bindPort, this.o.bindHost, () => resolve());
      });
      this.tcp = srv;
      this.port = (srv.address() as { port: number }).port;
    }
    const advertised = { host: this.o.advertised?.host ?? this.o.bindHost, port: this.o.advertised?.port ?? this.port };
    this.agent = new UserAgent({ ...this.o, advertised, transport: this.transport });
  }

  /** Runs a command on the core and performs what it returns. */
  do<T extends Action<UaEvent>[] | { actions: Action<UaEvent>[] }>(f: (ua: UserAgent) => T): T {
    const r = f(this.ua);
    this.perform(Array.isArray(r) ? r : r.actions);
    return r;
  }

  async close(): Promise<void> {
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    if (this.drainer) clearImmediate(this.drainer);
    this.drainer = undefined;
    this.inbox.length = 0;
    this.inboxHead = 0;
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    if (this.tcp) await new Promise<void>((r) => this.tcp!.close(() => r()));
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** Runs `job` in the check phase, after what came before it; see {@link INPUT_TURN_BUDGET_MS}. */
  private queue(job: () => void): void {
    this.inbox.push(job);
    this.drainer ??= setImmediate(this.drain);
  }

  /**
   * Runs queued work until the turn's budget is spent; the rest goes to the next turn's check
   * phase, after the loop has polled the sockets and run the timers (the RTP pacers among them).
   */
  private readonly drain = (): void => {
    this.drainer = undefined;
    const deadline = performance.now() + INPUT_TURN_BUDGET_MS;
    while (this.inboxHead < this.inbox.length) {
      const job = this.inbox[this.inboxHead];
      this.inbox[this.inboxHead++] = undefined as unknown as () => void;
      try {
        job();
      } catch (err) {
        // Thrown on as a socket callback's error would be; what is queued still runs.
        if (this.inboxHead < this.inbox.length) this.drainer = setImmediate(this.drain);
        throw err;
      }
      if (this.inboxHead < this.inbox.length && performance.now() >= deadline) {
        this.drainer = setImmediate(this.drain);
        return;
      }
    }
    this.inbox.length = 0;
    this.inboxHead = 0;
  };

  private input(data: Uint8Array, from: Peer): void {
    // RFC 5626 §3.5.1 keep-alives (CRLF) and junk on a SIP port are dropped.
    if (data.length <= 4 && Buffer.from(data).toString().trim() === '') return;
    let msg: SipMessage;
    try {
      msg = parseMessage(data);
    } catch (err) {
      this.o.trace?.('in', from, `unparsable: ${(err as Error).message}`);
      return;
    }
    this.deliver(msg, from);
  }

  private deliver(msg: SipMessage, from: Peer): void {
    this.o.trace?.('in', from, msg);
    if (!this.agent) return;
    try {
      this.perform(this.agent.receive(msg, from));
    } catch (err) {
      // A message the core could not handle (a missing mandatory header) must not stop the endpoint.
      this.o.trace?.('in', from, `rejected: ${(err as Error).message}`);
    }
  }

  private perform(actions: Action<UaEvent>[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.send(a.to, a.message);
          break;
        case 'timer': {
          this.clearTimer(a.id);
          const entry: PendingTimer = {
            timeout: setTimeout(() => {
              // Node runs expired timers before it reads sockets in a turn of its loop. After a
              // pause of the process (GC, a loaded host) a response may already wait in the
              // socket when timer A or E (§17.1.1.2, §17.1.2.2) expires, and ticking here would
              // retransmit the request needlessly; a UAS that takes a retransmitted INVITE after
              // its 2xx for a new one (SIPp does) fails the call. The tick runs after this turn's
              // socket reads, so a response that came in time stops the timer first.
              // Datagrams still queued from earlier turns (see drain) go first too.
              entry.immediate = setImmediate(() => {
                const tick = () => {
                  if (this.timers.get(a.id) !== entry) return;
                  this.timers.delete(a.id);
                  if (this.agent) this.perform(this.agent.tick(a.id));
                };
                if (this.inboxHead < this.inbox.length) this.queue(tick);
                else tick();
              });
              // Kept referenced: Node's loop only stops in its check phase for referenced
              // immediates; an unreferenced one waited in the poll for the next socket or timer
              // (a 1 s glare retry took 3-5 s).
            }, a.ms),
          };
          entry.timeout.unref?.();
          this.timers.set(a.id, entry);
          break;
        }
        case 'cancel-timer':
          this.clearTimer(a.id);
          break;
        case 'event':
          this.emit('event', a.event);
          break;
      }
    }
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (!t) return;
    clearTimeout(t.timeout);
    if (t.immediate) clearImmediate(t.immediate);
    this.timers.delete(id);
  }

  private send(to: Peer, msg: SipMessage): void {
    this.o.trace?.('out', to, msg);
    const bytes = serialise(msg);
    if (to.transport === 'UDP') {
      this.udp?.send(bytes, to.port, to.host);
      return;
    }
    // §18.1.1 / §18.2.2: reuse the connection to that address, else open one.
    const key = `${to.host}:${to.port}`;
    let c = this.conns.get(key);
    if (!c) {
      const sock = to.transport === 'TLS' ? this.tlsConnection(to) : createConnection({ host: to.host, port: to.port });
      c = this.adopt(sock, key);
    }
    c.socket.write(bytes);
  }

  /**
   * A TLS connection to the far end (§26.3.1): its certificate is verified against the CAs and
   * must name the host (servername for a domain, IP SAN for an address); we present ours too,
   * for a trunk that authenticates nodes by certificate.
   */
  private tlsConnection(to: Peer): TcpSocket {
    const { cert, key, ca } = this.o.tls ?? {};
    const sock = tlsConnect({ host: to.host, port: to.port, ...(isIP(to.host) ? {} : { servername: to.host }), ...(cert && key ? { cert, key } : {}), ...(ca ? { ca } : {}) });
    sock.on('error', (err) => this.transportError(new Error(`TLS connection to ${to.host}:${to.port} failed: ${err.message}`)));
    return sock;
  }

  /** A failed handshake or certificate is the operator's to see (the endpoint's 'error' event), never fatal. */
  private transportError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.o.trace?.('out', { host: '', port: 0, transport: this.transport }, err.message);
  }

  private adopt(socket: TcpSocket, key = `${socket.remoteAddress}:${socket.remotePort}`): { socket: TcpSocket; framer: StreamFramer } {
    const c = { socket, framer: new StreamFramer() };
    this.conns.set(key, c);
    const [host, port] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
    socket.on('data', (d) => {
      let msgs: SipMessage[];
      try {
        msgs = c.framer.push(d);
      } catch (err) {
        this.o.trace?.('in', { host, port, transport: this.transport }, `stream error: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const m of msgs) this.deliver(m, { host, port, transport: this.transport });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.conns.get(key) === c) this.conns.delete(key);
    });
    return c;
  }
}
