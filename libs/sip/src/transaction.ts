// SIP transactions (RFC 3261 §17): INVITE and non-INVITE, client and server, with the timers of
// Table 4. Sans-IO: messages and timer ticks in, sends and timers out through the Outbox, and
// what the transaction user (the UA core) must hear through the TU callbacks.
import { DEFAULT_TIMERS, type Outbox, type Peer, type SipTimers } from './actions.ts';
import { header, headers, type SipRequest, type SipResponse } from './message.ts';
import { parseCSeq, parseVia } from './fields.ts';

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'terminated';
export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'terminated';

export interface ClientTransaction {
  readonly kind: 'client';
  readonly id: string;
  readonly branch: string;
  readonly method: string;
  readonly request: SipRequest;
  readonly to: Peer;
  state: ClientState;
  /** Retransmission interval now in use (timers A / E). */
  interval: number;
}

export interface ServerTransaction {
  readonly kind: 'server';
  readonly id: string;
  readonly branch: string;
  readonly method: string;
  readonly request: SipRequest;
  /** Where responses go: the request's source (RFC 3581 §4 rport; §18.2.2). */
  readonly from: Peer;
  state: ServerState;
  lastResponse?: SipResponse;
  interval: number;
}

/** What the transaction layer tells its user. */
export interface TransactionUser {
  /** A response for a client transaction (retransmissions of finals are absorbed, §17.1.1.2). */
  response(tx: ClientTransaction, res: SipResponse): void;
  /** Timer B or F fired (§17.1.1.2, §17.1.2.2): the TU treats it as a 408. */
  timeout(tx: ClientTransaction): void;
  /** Timer H fired: no ACK for our non-2xx final (§17.2.1). */
  serverTimeout?(tx: ServerTransaction): void;
}

export const TIMER_PREFIX = 'tx:';

/** The topmost Via's branch and sent-by (§17.2.3 matching rule). */
export function topVia(msg: { headers: [string, string][] }): { branch: string; sentBy: string } {
  const v = header(msg, 'Via');
  if (!v) throw new Error('message without Via');
  const via = parseVia(v);
  return { branch: String(via.params.branch ?? ''), sentBy: `${via.host}:${via.port ?? 5060}` };
}

/** Holds every live transaction of one UA and routes messages and ticks to them. */
export class TransactionLayer {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly t: SipTimers;
  private readonly out: Outbox<unknown>;
  private readonly tu: TransactionUser;

  constructor(out: Outbox<unknown>, tu: TransactionUser, timers: Partial<SipTimers> = {}) {
    this.out = out;
    this.tu = tu;
    this.t = { ...DEFAULT_TIMERS, ...timers };
  }

  get timers(): SipTimers {
    return this.t;
  }

  /** Starts a client transaction: the request's top Via must carry a fresh branch. */
  request(req: SipRequest, to: Peer): ClientTransaction {
    const { branch } = topVia(req);
    const method = req.method;
    const id = `c:${branch}:${method}`;
    const tx: ClientTransaction = { kind: 'client', id, branch, method, request: req, to, state: method === 'INVITE' ? 'calling' : 'trying', interval: this.t.T1 };
    this.clients.set(id, tx);
    this.out.send(to, req);
    const reliable = to.transport !== 'UDP';
    if (method === 'INVITE') {
      // §17.1.1.2: timer A (retransmit, unreliable only) and timer B (64*T1 transaction timeout).
      if (!reliable) this.out.timer(this.timerId(tx, 'A'), this.t.T1);
      this.out.timer(this.timerId(tx, 'B'), 64 * this.t.T1);
    } else {
      // §17.1.2.2: timer E (retransmit) and timer F (timeout).
      if (!reliable) this.out.timer(this.timerId(tx, 'E'), this.t.T1);
      this.out.timer(this.timerId(tx, 'F'), 64 * this.t.T1);
    }
    return tx;
  }

  /**
   * A response from the network. §17.1.3: it matches the client transaction whose request
   * had the same top-Via branch and whose method equals the CSeq method. Returns false when no
   * transaction matches (the TU may still want it, e.g. a retransmitted 2xx, §13.2.2.4).
   */
  receiveResponse(res: SipResponse): boolean {
    const { branch } = topVia(res);
    const cseq = parseCSeq(header(res, 'CSeq') ?? '');
    const tx = this.clients.get(`c:${branch}:${cseq.method}`);
    if (!tx) return false;
    const code = res.status;
    const reliable = tx.to.transport !== 'UDP';
    if (tx.method === 'INVITE') {
      if (tx.state === 'calling' || tx.state === 'proceeding') {
        if (code < 200) {
          // §17.1.1.2: a provisional stops retransmissions (timer A).
          if (tx.state === 'calling') this.out.cancel(this.timerId(tx, 'A'));
          tx.state = 'proceeding';
          this.tu.response(tx, res);
        } else if (code < 300) {
          // A 2xx ends the transaction; the TU sends the ACK and absorbs retransmissions.
          this.terminate(tx);
          this.tu.response(tx, res);
        } else {
          tx.state = 'completed';
          this.out.cancel(this.timerId(tx, 'A'));
          this.out.cancel(this.timerId(tx, 'B'));
          this.out.send(tx.to, this.ackFor(tx, res));
          // Timer D: at least 32 s on UDP, to absorb retransmitted finals; 0 on TCP.
          this.out.timer(this.timerId(tx, 'D'), reliable ? 0 : 32_000);
          this.tu.response(tx, res);
        }
      } else if (tx.state === 'completed' && code >= 300) {
        // §17.1.1.2: each retransmitted final is answered with the ACK again, not passed up.
        this.out.send(tx.to, this.ackFor(tx, res));
      }
      return true;
    }
    if (tx.state === 'trying' || tx.state === 'proceeding') {
      if (code < 200) {
        tx.state = 'proceeding';
        this.tu.response(tx, res);
      } else {
        tx.state = 'completed';
        this.out.cancel(this.timerId(tx, 'E'));
        this.out.cancel(this.timerId(tx, 'F'));
        // Timer K: T4 on UDP to absorb retransmitted responses, 0 on TCP.
        this.out.timer(this.timerId(tx, 'K'), reliable ? 0 : this.t.T4);
        this.tu.response(tx, res);
      }
    }
    return true;
  }

  /**
   * A request from the network. Retransmissions of a request whose transaction exists are
   * absorbed here (the last response is sent again, §17.2.1 / §17.2.2); an ACK for a non-2xx
   * final moves that INVITE transaction to Confirmed. Returns the new server transaction for the
   * TU, 'absorbed', or 'ack' for an ACK that matches no transaction (the ACK for a 2xx, §17.2.1).
   */
  receiveRequest(req: SipRequest, from: Peer): ServerTransaction | 'absorbed' | 'ack' {
    const { branch, sentBy } = topVia(req);
    const method = req.method === 'ACK' ? 'INVITE' : req.method;
    const id = `s:${branch}:${sentBy}:${method}`;
    const existing = this.servers.get(id);
    if (req.method === 'ACK') {
      if (!existing) return 'ack';
      if (existing.state === 'completed') {
        existing.state = 'confirmed';
        this.out.cancel(this.timerId(existing, 'G'));
        this.out.cancel(this.timerId(existing, 'H'));
        // Timer I: T4 on UDP to absorb ACK retransmissions, 0 on TCP.
        this.out.timer(this.timerId(existing, 'I'), from.transport === 'UDP' ? this.t.T4 : 0);
      }
      return 'absorbed';
    }
    if (existing) {
      if (existing.lastResponse && (existing.state === 'proceeding' || existing.state === 'completed')) this.out.send(existing.from, existing.lastResponse);
      return 'absorbed';
    }
    const tx: ServerTransaction = { kind: 'server', id, branch, method: req.method, request: req, from, state: req.method === 'INVITE' ? 'proceeding' : 'trying', interval: this.t.T1 };
    this.servers.set(id, tx);
    return tx;
  }

  /** The INVITE server transaction a CANCEL refers to (§9.2: same branch and sent-by). */
  findInvite(cancel: SipRequest): ServerTransaction | undefined {
    const { branch, sentBy } = topVia(cancel);
    return this.servers.get(`s:${branch}:${sentBy}:INVITE`);
  }

  /** The TU's response on a server transaction. */
  respond(tx: ServerTransaction, res: SipResponse): void {
    if (tx.state === 'terminated' || tx.state === 'confirmed') return;
    if (tx.state === 'completed') return;
    const reliable = tx.from.transport !== 'UDP';
    tx.lastResponse = res;
    this.out.send(tx.from, res);
    if (res.status < 200) {
      tx.state = 'proceeding';
      return;
    }
    if (tx.method === 'INVITE') {
      if (res.status < 300) {
        // §17.2.1: a 2xx terminates the server INVITE transaction; the TU retransmits it (§13.3.1.4).
        this.terminate(tx);
        return;
      }
      tx.state = 'completed';
      // Timer G retransmits the final on UDP; timer H bounds the wait for its ACK.
      if (!reliable) this.out.timer(this.timerId(tx, 'G'), this.t.T1);
      this.out.timer(this.timerId(tx, 'H'), 64 * this.t.T1);
      return;
    }
    tx.state = 'completed';
    // Timer J: 64*T1 on UDP to answer retransmitted requests, 0 on TCP.
    this.out.timer(this.timerId(tx, 'J'), reliable ? 0 : 64 * this.t.T1);
  }

  /** A timer tick that belongs to this layer (ids start with `tx:`). */
  tick(timerId: string): void {
    const rest = timerId.slice(TIMER_PREFIX.length);
    const cut = rest.lastIndexOf('/');
    const id = rest.slice(0, cut), name = rest.slice(cut + 1);
    const c = this.clients.get(id);
    if (c) return this.clientTick(c, name);
    const s = this.servers.get(id);
    if (s) this.serverTick(s, name);
  }

  private clientTick(tx: ClientTransaction, name: string): void {
    switch (name) {
      case 'A':
        if (tx.state !== 'calling') return;
        // §17.1.1.2: retransmit and double the interval; INVITE keeps doubling until timer B.
        this.out.send(tx.to, tx.request);
        tx.interval *= 2;
        this.out.timer(this.timerId(tx, 'A'), tx.interval);
        return;
      case 'E':
        if (tx.state !== 'trying' && tx.state !== 'proceeding') return;
        this.out.send(tx.to, tx.request);
        // §17.1.2.2: doubling up to T2 while Trying; T2 once a provisional arrived.
        tx.interval = tx.state === 'trying' ? Math.min(tx.interval * 2, this.t.T2) : this.t.T2;
        this.out.timer(this.timerId(tx, 'E'), tx.interval);
        return;
      case 'B':
      case 'F':
        if (tx.state === 'completed' || tx.state === 'terminated') return;
        this.terminate(tx);
        this.tu.timeout(tx);
        return;
      case 'D':
      case 'K':
        this.terminate(tx);
    }
  }

  private serverTick(tx: ServerTransaction, name: string): void {
    switch (name) {
      case 'G':
        if (tx.state !== 'completed' || !tx.lastResponse) return;
        this.out.send(tx.from, tx.lastResponse);
        tx.interval = Math.min(tx.interval * 2, this.t.T2);
        this.out.timer(this.timerId(tx, 'G'), tx.interval);
        return;
      case 'H':
        if (tx.state !== 'completed') return;
        this.terminate(tx);
        this.tu.serverTimeout?.(tx);
        return;
      case 'I':
      case 'J':
        this.terminate(tx);
    }
  }

  private terminate(tx: ClientTransaction | ServerTransaction): void {
    tx.state = 'terminated';
    for (const n of tx.kind === 'client' ? ['A', 'B', 'D', 'E', 'F', 'K'] : ['G', 'H', 'I', 'J']) this.out.cancel(this.timerId(tx, n));
    if (tx.kind === 'client') this.clients.delete(tx.id);
    else this.servers.delete(tx.id);
  }

  private timerId(tx: { id: string }, name: string): string {
    return `${TIMER_PREFIX}${tx.id}/${name}`;
  }

  /**
   * The ACK for a non-2xx final (§17.1.1.3): Request-URI, Call-ID, From, top Via and Route of
   * the INVITE, To of the response (with its tag), CSeq number of the INVITE with method ACK.
   */
  private ackFor(tx: ClientTransaction, res: SipResponse): SipRequest {
    const inv = tx.request;
    const cseq = parseCSeq(header(inv, 'CSeq') ?? '');
    return {
      kind: 'request',
      method: 'ACK',
      uri: inv.uri,
      headers: [
        ['Via', header(inv, 'Via') as string],
        ...headers(inv, 'Route').map((r) => ['Route', r] as [string, string]),
        ['Max-Forwards', '70'],
        ['From', header(inv, 'From') as string],
        ['To', header(res, 'To') as string],
        ['Call-ID', header(inv, 'Call-ID') as string],
        ['CSeq', `${cseq.seq} ACK`],
      ],
      body: '',
    };
  }

  /** Live transactions (tests and the adapter's shutdown use it). */
  get size(): number {
    return this.clients.size + this.servers.size;
  }
}
