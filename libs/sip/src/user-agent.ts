// The SIP user agent core of a fax endpoint (RFC 3261 §8 UA behaviour, §12 dialogs, §13
// INVITE, §14 re-INVITE, §9 CANCEL, §15 BYE, §10 REGISTER, §11 OPTIONS), sans-IO: every input
// (a received message, a timer tick, a command) returns the actions it caused. It places and
// answers calls, switches them to T.38 (T.38 Annex D: a re-INVITE to `m=image … udptl t38`), and
// reports what a line driver needs as events.
import { Outbox, DEFAULT_TIMERS, type Action, type Peer, type SipTimers, type TransportName } from './actions.ts';
import { header, headers, type Header, type SipRequest, type SipResponse, type SipMessage } from './message.ts';
import { BRANCH_COOKIE, formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseUri, parseVia, randomToken, type SipUri } from './fields.ts';
import { TransactionLayer, TIMER_PREFIX, type ClientTransaction, type ServerTransaction } from './transaction.ts';
import { authorize, parseChallenge, type Credentials } from './digest.ts';
import { FAXGATE_T38, answerOffer, audioMedia, audioStream, imageMedia, offerT38, parseSdp, serialiseSdp, session, t38Stream, type G711Codec, type Sdp, type T38Capability, type T38Params } from './sdp.ts';
import { resultOfStatus, type SipCallResult } from './call-result.ts';

export interface UserAgentConfig {
  /** Host and port others reach us at: Via sent-by, Contact, SDP c= (NAT: the public address). */
  advertised: { host: string; port: number };
  transport: TransportName;
  /** Our address-of-record: `sip:<user>@<domain>` is From and the registered AOR. */
  user: string;
  domain: string;
  displayName?: string;
  credentials?: Credentials;
  /** Every request out of dialog and in dialog goes here (§8.1.2, a pre-loaded route). */
  outboundProxy?: { host: string; port: number };
  /** REGISTER target, e.g. `sip:carrier.example`; unset: no registration. */
  registrar?: string;
  registerExpires?: number;
  /** After answer, wait this long for the far end's T.38 re-INVITE before sending ours. */
  t38WaitMs?: number;
  /** An outgoing call not answered after this long is cancelled as no-answer. */
  ringTimeoutMs?: number;
  userAgent?: string;
  timers?: Partial<SipTimers>;
  t38?: T38Capability;
  /** Random source in [0,1) for the §14.1 glare back-off (default Math.random). */
  random?: () => number;
  /** How calls carry the fax (default 't38'), see {@link SipMediaMode}. */
  media?: SipMediaMode;
  /**
   * What a new INVITE would be answered with now (default 200 OK). RFC 3261 §11.2: an OPTIONS
   * gets the code an INVITE would, so a proxy probing with OPTIONS (Kamailio's dispatcher, an SBC)
   * stops sending calls to a node whose lines are all busy.
   */
  callAvailability?: () => { status: number; reason: string };
}

/**
 * How a call carries the fax. `t38`: T.38 only, a call whose far end refuses it (488) fails.
 * `audio`: G.711 only, T.38 offers are declined (a trunk whose T.38 is broken).
 * `t38-then-audio`: T.38 when both ends can (T.38 Annex D.2.1: the switch by re-INVITE), and
 * the G.711 stream already negotiated when the far end refuses the switch.
 */
export type SipMediaMode = 't38' | 'audio' | 't38-then-audio';

/** The far end's G.711 stream a call faxes over (RFC 3550 RTP, RFC 3551 PCMU/PCMA). */
export interface RemoteAudio {
  host: string;
  port: number;
  law: G711Codec;
}

/** Where our media is received: G.711 audio before the switch, UDPTL after (T.38 Annex D). */
export interface LocalMedia {
  address: string;
  audioPort: number;
  imagePort: number;
}

export type UaEvent =
  | { type: 'registered'; expires: number }
  | { type: 'registration-failed'; status: number; reason: string }
  | { type: 'progress'; callId: string; status: number }
  | { type: 'answered'; callId: string }
  | { type: 'incoming'; callId: string; requestUri: string; from: string; to: string; assertedIdentity?: string; offer?: Sdp }
  /** The call's media is now T.38 over UDPTL to `remote` (start the T.38 terminal). */
  | { type: 't38'; callId: string; remote: { host: string; port: number }; params: T38Params }
  /**
   * The call faxes over its G.711 stream (audio-only pool, or the far end refused T.38: `why`).
   * A later 't38' event on the same call means the far end switched after all.
   */
  | { type: 'audio'; callId: string; remote: RemoteAudio; why?: string }
  /** A re-INVITE/UPDATE that left the media as it was (RFC 4028 session refresh). */
  | { type: 'refreshed'; callId: string; method: string }
  | { type: 'ended'; callId: string; result: SipCallResult; status?: number; reason: string; by: 'local' | 'remote' }
  | { type: 'options-result'; target: string; status: number };

type Purpose =
  | { kind: 'invite'; callId: string }
  | { kind: 'reinvite'; callId: string; t38: boolean }
  | { kind: 'bye'; callId: string }
  | { kind: 'cancel'; callId: string }
  | { kind: 'register' }
  | { kind: 'options'; target: string };

interface Call {
  id: string;
  direction: 'out' | 'in';
  state: 'calling' | 'early' | 'confirmed' | 'terminated';
  localTag: string;
  remoteTag?: string;
  localUri: string;
  remoteUri: string;
  /** Remote target (the peer's Contact, §12.1) and route set (Record-Route). */
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
  remoteSeq?: number;
  media: LocalMedia;
  sessionId: string;
  sdpVersion: number;
  localSdp?: Sdp;
  mode: 'audio' | 't38';
  t38?: { remote: { host: string; port: number }; params: T38Params };
  /** The far end's G.711 stream as last negotiated, and whether the driver was told to fax on it. */
  audio?: RemoteAudio;
  audioFax?: boolean;
  /** The initial INVITE (for CANCEL and retries) and whether a provisional came back. */
  invite?: SipRequest;
  inviteTx?: ClientTransaction;
  provisional: boolean;
  cancel?: { result: SipCallResult; reason: string };
  /** Our outstanding re-INVITE (§14.1: one at a time) and the offer it carries. */
  reinvite?: ClientTransaction;
  offer?: Sdp;
  /** The incoming INVITE waiting for the driver's answer. */
  pendingInvite?: ServerTransaction;
  /** A re-INVITE the far end sent that we are still answering (§14.2: 500 to an overlapping one). */
  incomingReinvite?: boolean;
  /** Our 2xx to an INVITE, retransmitted until the ACK (§13.3.1.4). */
  uas2xx?: { res: SipResponse; to: Peer; interval: number; elapsed: number; cseq: number };
  /** Our T.38 re-INVITE was refused once with 500 + Retry-After and sent again (§14.2); a second 500 fails it. */
  retriedAfter500?: boolean;
  /** ACKs we sent for 2xx, by CSeq number, re-sent when the 2xx is retransmitted (§13.2.2.4). */
  acks: Map<number, { ack: SipRequest; to: Peer }>;
  /** Switch to T.38 as soon as the dialog is confirmed (incoming calls answered with audio). */
  t38AtOnce?: boolean;
  authTries: number;
  redirects: number;
  /** P-Asserted-Identity of our INVITEs (RFC 3325 §9.1), on every retry of the INVITE too. */
  assertedIdentity?: string;
  /** Failure to report once our BYE is out. */
  ending?: { result: SipCallResult; reason: string; status?: number };
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO';

/** Timer ids of the UA itself (the transaction layer's start with `tx:`). */
const T = {
  t38Wait: (id: string) => `ua:t38wait:${id}`,
  ring: (id: string) => `ua:ring:${id}`,
  glare: (id: string) => `ua:glare:${id}`,
  uas2xx: (id: string) => `ua:2xx:${id}`,
  register: 'ua:register',
};

export class UserAgent {
  private readonly cfg: Required<Omit<UserAgentConfig, 'credentials' | 'outboundProxy' | 'registrar' | 'displayName' | 'timers' | 'callAvailability'>> & UserAgentConfig;
  private readonly out = new Outbox<UaEvent>();
  private readonly tl: TransactionLayer;
  private readonly calls = new Map<string, Call>();
  private readonly purposes = new Map<string, Purpose>();
  private readonly timers: SipTimers;
  private reg = { callId: randomToken(12), seq: 0, tag: randomToken(6), authTries: 0, active: false };

  constructor(cfg: UserAgentConfig) {
    this.cfg = { registerExpires: 3600, t38WaitMs: 3000, ringTimeoutMs: 60_000, userAgent: 'faxgate', t38: FAXGATE_T38, random: Math.random, media: 't38', ...cfg };
    this.timers = { ...DEFAULT_TIMERS, ...cfg.timers };
    this.tl = new TransactionLayer(this.out as Outbox<unknown>, {
      response: (tx, res) => this.onResponse(tx, res),
      timeout: (tx) => this.onResponse(tx, this.localResponse(tx.request, 408, 'Request Timeout')),
      serverTimeout: () => undefined,
    }, this.timers);
  }

  // ---- inputs ----

  /** A message from the network, with its source address (the adapter read it from the socket). */
  receive(msg: SipMessage, from: Peer): Action<UaEvent>[] {
    if (msg.kind === 'response') {
      if (!this.tl.receiveResponse(msg)) this.strayResponse(msg);
    } else this.onRequest(msg, from);
    return this.out.take();
  }

  /** A timer started by an earlier action has fired. */
  tick(id: string): Action<UaEvent>[] {
    if (id.startsWith(TIMER_PREFIX)) this.tl.tick(id);
    else this.uaTick(id);
    return this.out.take();
  }

  // ---- commands ----

  /** REGISTER the AOR (§10.2) and keep refreshing it. */
  register(): Action<UaEvent>[] {
    this.reg.active = true;
    this.reg.authTries = 0;
    this.sendRegister(this.cfg.registerExpires);
    return this.out.take();
  }

  /** Removes our binding (§10.2.2: expires=0) and stops refreshing. */
  unregister(): Action<UaEvent>[] {
    if (this.reg.active) {
      this.reg.active = false;
      this.out.cancel(T.register);
      this.sendRegister(0);
    }
    return this.out.take();
  }

  /**
   * Places a call to `requestUri`, offering G.711 audio (the far end's gateway switches to T.38
   * once it hears the fax tones or after answer, T.38 Annex D.2.1). `callerId` is the From user;
   * `assertedIdentity` a URI sent as P-Asserted-Identity (RFC 3325 §9.1: a trunk that trusts us
   * takes the caller's number from it). Returns the Call-ID.
   */
  invite(requestUri: string, media: LocalMedia, opts: { callerId?: string; assertedIdentity?: string } = {}): { callId: string; actions: Action<UaEvent>[] } {
    const id = randomToken(12);
    const fromUser = opts.callerId ?? this.cfg.user;
    const call: Call = {
      id, direction: 'out', state: 'calling', localTag: randomToken(6), localUri: `sip:${fromUser}@${this.cfg.domain}`, remoteUri: requestUri,
      remoteTarget: requestUri, routeSet: [], localSeq: 1, media, sessionId: String(Date.now() % 1e9), sdpVersion: 1, mode: 'audio', provisional: false,
      acks: new Map(), authTries: 0, redirects: 0, ...(opts.assertedIdentity ? { assertedIdentity: opts.assertedIdentity } : {}),
    };
    this.calls.set(id, call);
    call.localSdp = session(media.address, call.sessionId, call.sdpVersion, [audioMedia(media.audioPort)]);
    this.sendInvite(call, requestUri, []);
    this.out.timer(T.ring(id), this.cfg.ringTimeoutMs);
    return { callId: id, actions: this.out.take() };
  }

  /** Answers an incoming call: T.38 at once if offered, else audio and then our T.38 re-INVITE. */
  answer(callId: string, media: LocalMedia): Action<UaEvent>[] {
    const call = this.calls.get(callId);
    if (!call?.pendingInvite) return this.out.take();
    call.media = media;
    const tx = call.pendingInvite;
    call.pendingInvite = undefined;
    const offer = tx.request.body ? parseSdp(tx.request.body) : undefined;
    let body: Sdp;
    if (offer) {
      const a = answerOffer(offer, { ...media, sessionId: call.sessionId, version: call.sdpVersion }, this.cfg.t38, { t38: this.cfg.media !== 'audio' });
      if (!a) {
        const what = this.cfg.media === 'audio' ? 'G.711' : 'G.711 nor T.38';
        this.respond(tx, 488, 'Not Acceptable Here', [['Warning', `304 faxgate "no ${what} stream offered"`]]);
        this.end(call, 'failed', `the caller offered neither ${what === 'G.711' ? 'G.711 (this pool faxes over audio only)' : 'G.711 nor T.38'}`, 'local', 488);
        return this.out.take();
      }
      body = a.sdp;
      if (a.t38) this.mediaT38(call, offer);
      else {
        call.audio = audioStream(offer);
        // T.38 preferred: switch at once (T.38 Annex D.2.1); an audio pool stays on G.711.
        if (this.cfg.media !== 'audio') call.t38AtOnce = true;
      }
    } else {
      // An INVITE without an offer: ours goes in the 2xx and the answer in the ACK (§13.2.1).
      const streams = [];
      if (this.cfg.media !== 'audio') streams.push(imageMedia(media.imagePort, offerT38(this.cfg.t38)));
      if (this.cfg.media !== 't38') streams.push(audioMedia(media.audioPort, ['0', '8']));
      body = session(media.address, call.sessionId, call.sdpVersion, streams);
    }
    call.localSdp = body;
    call.state = 'confirmed';
    this.sendUas2xx(call, tx, body);
    this.out.emit({ type: 'answered', callId });
    if (call.mode === 't38' && call.t38) this.out.emit({ type: 't38', callId, remote: call.t38.remote, params: call.t38.params });
    else if (this.cfg.media === 'audio' && call.audio) this.faxOnAudio(call);
    return this.out.take();
  }

  /** Refuses an incoming call that has not been answered yet (e.g. 486 when every line is busy). */
  reject(callId: string, status: number, reason: string): Action<UaEvent>[] {
    this.doReject(callId, status, reason);
    return this.out.take();
  }

  /** Ends a call: BYE once confirmed, CANCEL while ringing (§9.1: only after a provisional). */
  hangup(callId: string, why: { result: SipCallResult; reason: string } = { result: 'completed', reason: 'hung up' }): Action<UaEvent>[] {
    this.doHangup(callId, why);
    return this.out.take();
  }

  private doReject(callId: string, status: number, reason: string): void {
    const call = this.calls.get(callId);
    if (!call?.pendingInvite) return;
    this.respond(call.pendingInvite, status, reason);
    call.pendingInvite = undefined;
    this.end(call, resultOfStatus(status), `${status} ${reason}`, 'local', status);
  }

  private doHangup(callId: string, why: { result: SipCallResult; reason: string }): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.state === 'confirmed') this.sendBye(call, why.result, why.reason);
    else if (call.direction === 'out') {
      call.cancel = why;
      if (call.provisional) this.sendCancel(call);
    } else if (call.pendingInvite) this.doReject(callId, 480, 'Temporarily Unavailable');
  }

  /** OPTIONS to a target (§11): a keep-alive towards a trunk, answered by an options-result event. */
  options(target: string): Action<UaEvent>[] {
    const req = this.request('OPTIONS', target, { from: `<sip:${this.cfg.user}@${this.cfg.domain}>;tag=${randomToken(6)}`, to: `<${target}>`, callId: randomToken(12), cseq: 1 });
    req.headers.push(['Accept', 'application/sdp']);
    const tx = this.tl.request(req, this.destination(target, []));
    this.purposes.set(tx.id, { kind: 'options', target });
    return this.out.take();
  }

  /** Live calls (the adapter's shutdown and the driver's capacity checks). */
  get activeCalls(): number {
    return this.calls.size;
  }

  // ---- requests out ----

  private viaHeader(): Header {
    return ['Via', formatVia({ transport: this.cfg.transport, host: this.cfg.advertised.host, port: this.cfg.advertised.port, params: { branch: BRANCH_COOKIE + randomToken(8), rport: null } })];
  }

  private contact(user = this.cfg.user): string {
    const t = this.cfg.transport === 'UDP' ? '' : `;transport=${this.cfg.transport.toLowerCase()}`;
    return `<sip:${user}@${this.cfg.advertised.host}:${this.cfg.advertised.port}${t}>`;
  }

  /** A request with the headers §8.1.1 requires. */
  private request(method: string, uri: string, d: { from: string; to: string; callId: string; cseq: number; routes?: string[]; body?: Sdp }): SipRequest {
    const hs: Header[] = [this.viaHeader(), ['Max-Forwards', '70']];
    for (const r of d.routes ?? []) hs.push(['Route', r]);
    hs.push(['From', d.from], ['To', d.to], ['Call-ID', d.callId], ['CSeq', `${d.cseq} ${method}`]);
    if (method !== 'ACK' && method !== 'CANCEL') hs.push(['Contact', this.contact()], ['Allow', ALLOW]);
    hs.push(['User-Agent', this.cfg.userAgent]);
    const body = d.body ? serialiseSdp(d.body) : '';
    if (body) hs.push(['Content-Type', 'application/sdp']);
    return { kind: 'request', method, uri, headers: hs, body };
  }

  /** §8.1.2: the outbound proxy when there is one, else the first route, else the URI itself. */
  private destination(uri: string, routes: string[]): Peer {
    if (this.cfg.outboundProxy) return { ...this.cfg.outboundProxy, transport: this.cfg.transport };
    const u: SipUri = parseUri(routes.length ? parseNameAddr(routes[0]).uri : uri);
    // §19.1.2: 5061 is the default port of SIP over TLS, 5060 of UDP and TCP.
    return { host: u.host.replace(/^\[|\]$/g, ''), port: u.port ?? (this.cfg.transport === 'TLS' ? 5061 : 5060), transport: this.cfg.transport };
  }

  private fromHeader(call: Call): string {
    const display = this.cfg.displayName && call.direction === 'out' ? { display: this.cfg.displayName } : {};
    return formatNameAddr({ ...display, uri: call.localUri, params: { tag: call.localTag } });
  }

  private toHeader(call: Call): string {
    return formatNameAddr({ uri: call.remoteUri, params: call.remoteTag ? { tag: call.remoteTag } : {} });
  }

  private sendInvite(call: Call, uri: string, extra: Header[]): void {
    const req = this.request('INVITE', uri, { from: this.fromHeader(call), to: this.toHeader(call), callId: call.id, cseq: call.localSeq, body: call.localSdp });
    if (call.assertedIdentity) req.headers.push(['P-Asserted-Identity', `<${call.assertedIdentity}>`]);
    req.headers.push(...extra);
    call.invite = req;
    call.provisional = false;
    call.inviteTx = this.tl.request(req, this.destination(uri, []));
    this.purposes.set(call.inviteTx.id, { kind: 'invite', callId: call.id });
  }

  /** A request inside the dialog (§12.2.1.1: remote target as Request-URI, route set as Route). */
  private inDialog(call: Call, method: string, body?: Sdp, cseq = ++call.localSeq): { req: SipRequest; to: Peer } {
    const req = this.request(method, call.remoteTarget, { from: this.fromHeader(call), to: this.toHeader(call), callId: call.id, cseq, routes: call.routeSet, body });
    return { req, to: this.destination(call.remoteTarget, call.routeSet) };
  }

  private sendReinviteT38(call: Call): void {
    if (call.reinvite || call.state !== 'confirmed') return;
    call.sdpVersion++;
    const body = session(call.media.address, call.sessionId, call.sdpVersion, [imageMedia(call.media.imagePort, offerT38(this.cfg.t38))]);
    const { req, to } = this.inDialog(call, 'INVITE', body);
    call.offer = body;
    call.reinvite = this.tl.request(req, to);
    this.purposes.set(call.reinvite.id, { kind: 'reinvite', callId: call.id, t38: true });
  }

  private sendBye(call: Call, result: SipCallResult, reason: string, status?: number): void {
    if (call.state === 'terminated') return;
    const { req, to } = this.inDialog(call, 'BYE');
    const tx = this.tl.request(req, to);
    this.purposes.set(tx.id, { kind: 'bye', callId: call.id });
    this.end(call, result, reason, 'local', status);
  }

  /** §9.1: CANCEL copies the INVITE's Request-URI, Call-ID, To, From, CSeq number and top Via. */
  private sendCancel(call: Call): void {
    const inv = call.invite;
    if (!inv || !call.inviteTx) return;
    const pick = (n: string) => inv.headers.filter(([h]) => h.toLowerCase() === n.toLowerCase());
    const req: SipRequest = {
      kind: 'request', method: 'CANCEL', uri: inv.uri, body: '',
      headers: [pick('Via')[0], ['Max-Forwards', '70'], ...pick('Route'), ...pick('From'), ...pick('To'), ...pick('Call-ID'), ['CSeq', `${parseCSeq(header(inv, 'CSeq') ?? '').seq} CANCEL`]],
    };
    const tx = this.tl.request(req, call.inviteTx.to);
    this.purposes.set(tx.id, { kind: 'cancel', callId: call.id });
  }

  private sendRegister(expires: number, extra: Header[] = []): void {
    const registrar = this.cfg.registrar ?? `sip:${this.cfg.domain}`;
    const aor = `<sip:${this.cfg.user}@${this.cfg.domain}>`;
    const req = this.request('REGISTER', registrar, { from: `${aor};tag=${this.reg.tag}`, to: aor, callId: this.reg.callId, cseq: ++this.reg.seq });
    req.headers.push(['Expires', String(expires)], ...extra);
    const tx = this.tl.request(req, this.destination(registrar, []));
    this.purposes.set(tx.id, { kind: 'register' });
  }

  // ---- responses in ----

  private onResponse(tx: ClientTransaction, res: SipResponse): void {
    const p = this.purposes.get(tx.id);
    if (!p) return;
    if (res.status >= 200) this.purposes.delete(tx.id);
    switch (p.kind) {
      case 'register':
        return this.onRegisterResponse(tx, res);
      case 'options':
        if (res.status >= 200) this.out.emit({ type: 'options-result', target: p.target, status: res.status });
        return;
      case 'invite':
        return this.onInviteResponse(tx, res, p.callId);
      case 'reinvite':
        return this.onReinviteResponse(tx, res, p.callId);
      case 'bye':
      case 'cancel':
        // Either way the call is over for us; a 481 to BYE only confirms it.
        return;
    }
  }

  private onRegisterResponse(tx: ClientTransaction, res: SipResponse): void {
    if (res.status < 200) return;
    const expiresAsked = Number(header(tx.request, 'Expires') ?? this.cfg.registerExpires);
    if ((res.status === 401 || res.status === 407) && this.reg.authTries < 2) {
      const auth = this.authHeader(tx.request, res);
      if (auth) {
        this.reg.authTries++;
        return this.sendRegister(expiresAsked, [auth]);
      }
    }
    if (res.status === 423) {
      // §10.2.8: Interval Too Brief: retry with at least Min-Expires.
      const min = Number(header(res, 'Min-Expires') ?? 3600);
      return this.sendRegister(min, this.lastAuth(tx.request));
    }
    if (res.status >= 300) {
      this.out.emit({ type: 'registration-failed', status: res.status, reason: res.reason });
      // Keep trying while registration is wanted: a carrier that is down comes back.
      if (this.reg.active) this.out.timer(T.register, 60_000);
      return;
    }
    if (expiresAsked === 0) return;
    this.reg.authTries = 0;
    // §10.2.4: the registrar's expires for our Contact (or Expires) is what we got.
    const ours = headers(res, 'Contact').map(parseNameAddr).find((c) => c.uri.includes(`@${this.cfg.advertised.host}:${this.cfg.advertised.port}`));
    const granted = Number(ours?.params.expires ?? header(res, 'Expires') ?? expiresAsked) || expiresAsked;
    this.out.emit({ type: 'registered', expires: granted });
    // Refresh before expiry: half-way for short bindings, a minute early for long ones.
    if (this.reg.active) this.out.timer(T.register, Math.max(granted * 500, (granted - 60) * 1000));
  }

  private onInviteResponse(tx: ClientTransaction, res: SipResponse, callId: string): void {
    const call = this.calls.get(callId);
    if (!call) {
      // A 2xx to an INVITE whose call we gave up on (a CANCEL that lost the race, §9.1): ACK and BYE.
      if (res.status >= 200 && res.status < 300) this.ackAndBye(tx, res);
      return;
    }
    if (tx !== call.inviteTx) return;
    if (res.status < 200) {
      if (res.status > 100) {
        call.provisional = true;
        if (call.state === 'calling') call.state = 'early';
        this.out.emit({ type: 'progress', callId, status: res.status });
      }
      if (call.cancel && res.status > 100) this.sendCancel(call);
      return;
    }
    this.out.cancel(T.ring(callId));
    if (res.status < 300) {
      this.establishUac(call, res);
      this.sendAck(call, res);
      if (call.cancel) return this.sendBye(call, call.cancel.result, call.cancel.reason);
      this.out.emit({ type: 'answered', callId });
      let answer: Sdp | undefined;
      try {
        answer = res.body ? parseSdp(res.body) : undefined;
      } catch {
        return this.sendBye(call, 'failed', 'the far end answered with an unreadable SDP', res.status);
      }
      const t38 = answer && t38Stream(answer);
      call.audio = answer && audioStream(answer);
      if (t38) this.mediaT38FromAnswer(call, t38);
      else if (this.cfg.media === 'audio') {
        if (call.audio) this.faxOnAudio(call);
        else this.sendBye(call, 'failed', 'the far end answered without a G.711 stream', res.status);
      } else this.out.timer(T.t38Wait(callId), this.cfg.t38WaitMs);
      return;
    }
    if ((res.status === 401 || res.status === 407) && call.authTries < 2 && !call.cancel) {
      const auth = this.authHeader(tx.request, res);
      if (auth) {
        call.authTries++;
        call.localSeq++;
        this.sendInvite(call, tx.request.uri, [auth]);
        return;
      }
    }
    if (res.status >= 300 && res.status < 400 && call.redirects < 1 && !call.cancel) {
      // §8.1.3.4: try the first Contact of the redirect, once, in the same call.
      const c = header(res, 'Contact');
      if (c) {
        call.redirects++;
        call.localSeq++;
        call.remoteUri = call.remoteTarget = parseNameAddr(c).uri;
        this.sendInvite(call, call.remoteTarget, this.lastAuth(tx.request));
        return;
      }
    }
    if (call.cancel && res.status === 487) return this.end(call, call.cancel.result, call.cancel.reason, 'local', 487);
    this.end(call, resultOfStatus(res.status), `${res.status} ${res.reason}`, 'remote', res.status);
  }

  private onReinviteResponse(tx: ClientTransaction, res: SipResponse, callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (res.status < 200) return;
    call.reinvite = undefined;
    if (res.status < 300) {
      this.sendAck(call, res);
      // §12.2.1.2: a 2xx to a target refresh request updates the remote target.
      const c = header(res, 'Contact');
      if (c) call.remoteTarget = parseNameAddr(c).uri;
      const t38 = res.body ? t38Stream(parseSdp(res.body)) : undefined;
      if (!t38) return this.sendBye(call, 'failed', 'the far end answered our T.38 offer without a T.38 stream', res.status);
      // The accepted offer is our session description from now on (refreshes repeat it).
      call.localSdp = call.offer;
      return this.mediaT38FromAnswer(call, t38);
    }
    if ((res.status === 401 || res.status === 407) && call.authTries < 4) {
      const auth = this.authHeader(tx.request, res);
      if (auth) {
        call.authTries++;
        const { req, to } = this.inDialog(call, 'INVITE', call.offer);
        req.headers.push(auth);
        call.reinvite = this.tl.request(req, to);
        this.purposes.set(call.reinvite.id, { kind: 'reinvite', callId, t38: true });
        return;
      }
    }
    if (res.status === 491) {
      // §14.1 glare: the owner of the Call-ID waits 2.1–4 s, the other side 0–2 s, in 10 ms units.
      call.sdpVersion--;
      const owner = call.direction === 'out';
      const units = Math.floor(this.cfg.random() * (owner ? 191 : 201));
      this.out.timer(T.glare(callId), (owner ? 2100 : 0) + units * 10);
      return;
    }
    // §14.2: a UAS still answering an earlier INVITE of the dialog (its 2xx not yet ACKed, or a
    // re-INVITE of its own being answered) refuses ours with 500 and a Retry-After of 0–10 s, so
    // that we try again then (seen with 100 calls at once on a loaded host, bench/sip-t38-loop).
    const retryAfter = res.status === 500 ? Number.parseInt(header(res, 'Retry-After') ?? '', 10) : Number.NaN;
    if (retryAfter >= 0 && retryAfter <= 10 && !call.retriedAfter500) {
      call.retriedAfter500 = true;
      call.sdpVersion--;
      this.out.timer(T.glare(callId), retryAfter * 1000);
      return;
    }
    // §14.1: a failed re-INVITE leaves the session as it was: with `t38-then-audio` the fax
    // goes over the G.711 stream already negotiated; with `t38` it cannot proceed.
    call.sdpVersion--;
    const why = res.status === 488 || res.status === 606 ? `the far end refused T.38 (${res.status} ${res.reason})` : `our T.38 re-INVITE failed (${res.status} ${res.reason})`;
    if (this.cfg.media === 't38-then-audio' && call.audio) return this.faxOnAudio(call, why);
    this.sendBye(call, 'failed', why, res.status);
  }

  /** §12.1.2: the dialog as the UAC sees it from the 2xx. */
  private establishUac(call: Call, res: SipResponse): void {
    call.state = 'confirmed';
    call.remoteTag = parseNameAddr(header(res, 'To') ?? '').params.tag ?? undefined;
    call.routeSet = headers(res, 'Record-Route').reverse();
    const c = header(res, 'Contact');
    if (c) call.remoteTarget = parseNameAddr(c).uri;
  }

  /** §13.2.2.4: the ACK for a 2xx is a new transaction-less request in the dialog. */
  private sendAck(call: Call, res: SipResponse): void {
    const cseq = parseCSeq(header(res, 'CSeq') ?? '').seq;
    const { req, to } = this.inDialog(call, 'ACK', undefined, cseq);
    call.acks.set(cseq, { ack: req, to });
    this.out.send(to, req);
  }

  private ackAndBye(tx: ClientTransaction, res: SipResponse): void {
    const to = parseNameAddr(header(res, 'To') ?? '');
    const call: Call = {
      id: header(res, 'Call-ID') ?? '', direction: 'out', state: 'confirmed', localTag: String(parseNameAddr(header(tx.request, 'From') ?? '').params.tag), remoteTag: to.params.tag ?? undefined,
      localUri: parseNameAddr(header(tx.request, 'From') ?? '').uri, remoteUri: to.uri, remoteTarget: tx.request.uri, routeSet: [], localSeq: parseCSeq(header(res, 'CSeq') ?? '').seq,
      media: { address: '', audioPort: 0, imagePort: 0 }, sessionId: '0', sdpVersion: 0, mode: 'audio', provisional: true, acks: new Map(), authTries: 0, redirects: 0,
    };
    this.establishUac(call, res);
    this.sendAck(call, res);
    const { req, to: dest } = this.inDialog(call, 'BYE');
    this.tl.request(req, dest);
  }

  /** A response no transaction wanted: a retransmitted 2xx to an INVITE gets its ACK again. */
  private strayResponse(res: SipResponse): void {
    if (res.status < 200 || res.status >= 300) return;
    const cseq = parseCSeq(header(res, 'CSeq') ?? '');
    if (cseq.method !== 'INVITE') return;
    const call = this.calls.get(header(res, 'Call-ID') ?? '');
    const ack = call?.acks.get(cseq.seq);
    if (ack) this.out.send(ack.to, ack.ack);
  }

  private mediaT38FromAnswer(call: Call, t38: NonNullable<ReturnType<typeof t38Stream>>): void {
    this.out.cancel(T.t38Wait(call.id));
    call.mode = 't38';
    call.t38 = { remote: { host: t38.host, port: t38.port }, params: t38.params };
    this.out.emit({ type: 't38', callId: call.id, remote: call.t38.remote, params: t38.params });
  }

  // ---- requests in ----

  private onRequest(req: SipRequest, from: Peer): void {
    let source = from;
    try {
      // RFC 3581 §4 / §18.2.2: answers go back where the request came from.
      const via = parseVia(header(req, 'Via') ?? '');
      if (!('rport' in via.params) && from.transport === 'UDP') source = { ...from, port: via.port ?? 5060 };
    } catch {
      return;
    }
    const r = this.tl.receiveRequest(req, source);
    if (r === 'absorbed') return;
    if (r === 'ack') return this.onAck(req);
    const tx = r;
    const toTag = parseNameAddr(header(req, 'To') ?? '').params.tag;
    // §8.2.2.3: an extension the request requires and we lack (100rel, …) gets 420.
    const unsupported = req.method === 'CANCEL' ? [] : headers(req, 'Require').filter((x) => x.toLowerCase() !== 'timer');
    if (unsupported.length) return this.respond(tx, 420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);
    switch (req.method) {
      case 'INVITE':
        return toTag ? this.onReinvite(tx, req) : this.onInvite(tx, req);
      case 'UPDATE':
        return this.onReinvite(tx, req);
      case 'BYE':
        return this.onBye(tx, req);
      case 'CANCEL':
        return this.onCancel(tx, req);
      case 'OPTIONS': {
        const now = this.cfg.callAvailability?.() ?? { status: 200, reason: 'OK' };
        return this.respond(tx, now.status, now.reason, [['Allow', ALLOW], ['Accept', 'application/sdp'], ['Supported', 'timer']]);
      }
      case 'INFO':
        return this.respond(tx, this.dialogOf(req) ? 200 : 481, this.dialogOf(req) ? 'OK' : 'Call/Transaction Does Not Exist');
      default:
        return this.respond(tx, 405, 'Method Not Allowed', [['Allow', ALLOW]]);
    }
  }

  private dialogOf(req: SipRequest): Call | undefined {
    const call = this.calls.get(header(req, 'Call-ID') ?? '');
    if (!call) return undefined;
    // §12.2.2: the dialog is matched by Call-ID, the remote tag (From) and our tag (To).
    const fromTag = parseNameAddr(header(req, 'From') ?? '').params.tag;
    const toTag = parseNameAddr(header(req, 'To') ?? '').params.tag;
    if (toTag !== call.localTag) return undefined;
    if (call.remoteTag && fromTag !== call.remoteTag) return undefined;
    return call;
  }

  private onInvite(tx: ServerTransaction, req: SipRequest): void {
    const id = header(req, 'Call-ID') ?? '';
    const known = this.calls.get(id);
    if (known) {
      // §13.3.1.4: a retransmitted INVITE after our 2xx gets that 2xx again.
      if (known.uas2xx && known.uas2xx.cseq === parseCSeq(header(req, 'CSeq') ?? '').seq) return this.tl.respond(tx, known.uas2xx.res);
      return this.respond(tx, 482, 'Loop Detected');
    }
    this.respond(tx, 100, 'Trying');
    let offer: Sdp | undefined;
    try {
      offer = req.body ? parseSdp(req.body) : undefined;
    } catch {
      return this.respond(tx, 400, 'Bad Request (unparsable SDP)');
    }
    const from = parseNameAddr(header(req, 'From') ?? '');
    const to = parseNameAddr(header(req, 'To') ?? '');
    const call: Call = {
      id, direction: 'in', state: 'early', localTag: randomToken(6), remoteTag: from.params.tag ?? undefined, localUri: to.uri, remoteUri: from.uri,
      remoteTarget: parseNameAddr(header(req, 'Contact') ?? `<${from.uri}>`).uri,
      // §12.1.1: the UAS keeps Record-Route in order.
      routeSet: headers(req, 'Record-Route'), localSeq: 0, remoteSeq: parseCSeq(header(req, 'CSeq') ?? '').seq,
      media: { address: '', audioPort: 0, imagePort: 0 }, sessionId: String(Date.now() % 1e9), sdpVersion: 1, mode: 'audio', provisional: true, acks: new Map(),
      authTries: 0, redirects: 0, pendingInvite: tx,
    };
    this.calls.set(id, call);
    const pai = header(req, 'P-Asserted-Identity');
    this.out.emit({ type: 'incoming', callId: id, requestUri: req.uri, from: from.uri, to: to.uri, ...(pai ? { assertedIdentity: parseNameAddr(pai).uri } : {}), ...(offer ? { offer } : {}) });
  }

  /** A re-INVITE or UPDATE in the dialog (§14.2, RFC 3311): T.38 switch or session refresh. */
  private onReinvite(tx: ServerTransaction, req: SipRequest): void {
    const call = this.dialogOf(req);
    if (!call) return this.respond(tx, 481, 'Call/Transaction Does Not Exist');
    const seq = parseCSeq(header(req, 'CSeq') ?? '').seq;
    if (call.remoteSeq !== undefined && seq <= call.remoteSeq) return this.respond(tx, 500, 'Server Internal Error (CSeq out of order)');
    call.remoteSeq = seq;
    // §14.2: an offer while ours is outstanding is glare (491); one while we are still answering
    // the previous gets 500 with Retry-After.
    if (call.reinvite && req.body) return this.respond(tx, 491, 'Request Pending');
    if (call.incomingReinvite || call.uas2xx) return this.respond(tx, 500, 'Server Internal Error', [['Retry-After', String(1 + Math.floor(this.cfg.random() * 10))]]);
    const c = header(req, 'Contact');
    if (c && req.method === 'INVITE') call.remoteTarget = parseNameAddr(c).uri;
    const timer = this.sessionTimer(req);
    if (!req.body) {
      // A refresh without an offer: our current SDP is the offer, unchanged (RFC 4028 §10).
      return this.acceptReinvite(call, tx, call.localSdp, timer, true);
    }
    let offer: Sdp;
    try {
      offer = parseSdp(req.body);
    } catch {
      return this.respond(tx, 400, 'Bad Request (unparsable SDP)');
    }
    const t38 = t38Stream(offer);
    if (call.mode === 't38' && call.t38 && t38 && t38.host === call.t38.remote.host && t38.port === call.t38.remote.port) {
      // The same T.38 stream offered again: a session refresh; the answer keeps our SDP and its
      // version unchanged (RFC 3264 §8) and the UDPTL stream runs on untouched.
      return this.acceptReinvite(call, tx, call.localSdp, timer, true);
    }
    const audio = audioStream(offer);
    if (call.mode === 'audio' && call.audio && audio && !t38Stream(offer) && audio.host === call.audio.host && audio.port === call.audio.port && audio.law === call.audio.law) {
      // The same G.711 stream offered again (RFC 4028 refresh while faxing over audio): the
      // answer repeats ours and the RTP stream runs on untouched.
      return this.acceptReinvite(call, tx, call.localSdp, timer, true);
    }
    const a = answerOffer(offer, { ...call.media, sessionId: call.sessionId, version: call.sdpVersion + 1 }, this.cfg.t38, { t38: this.cfg.media !== 'audio' });
    if (!a) return this.respond(tx, 488, 'Not Acceptable Here', [['Warning', `304 faxgate "only G.711 audio${this.cfg.media === 'audio' ? '' : ' and T.38'} are supported"`]]);
    call.sdpVersion++;
    if (a.t38) this.mediaT38(call, offer);
    else {
      call.mode = 'audio';
      call.audio = audio;
    }
    this.acceptReinvite(call, tx, a.sdp, timer, false);
    if (a.t38) this.out.emit({ type: 't38', callId: call.id, remote: call.t38!.remote, params: call.t38!.params });
  }

  private acceptReinvite(call: Call, tx: ServerTransaction, sdp: Sdp | undefined, timer: Header[], refresh: boolean): void {
    call.localSdp = sdp;
    if (tx.method === 'INVITE') {
      this.sendUas2xx(call, tx, sdp, timer);
    } else {
      this.respond(tx, 200, 'OK', [['Contact', this.contact()], ...timer], sdp);
    }
    if (refresh) this.out.emit({ type: 'refreshed', callId: call.id, method: tx.method });
  }

  /** RFC 4028 §9: answer a Session-Expires request; the far end refreshes (refresher=uac). */
  private sessionTimer(req: SipRequest): Header[] {
    const se = header(req, 'Session-Expires');
    if (!se) return [];
    const supported = headers(req, 'Supported').some((s) => s.toLowerCase() === 'timer');
    const interval = Number(se.split(';')[0].trim());
    if (!supported) return [['Session-Expires', `${interval};refresher=uas`]];
    const refresher = /refresher\s*=\s*uas/i.test(se) ? 'uas' : 'uac';
    return [['Session-Expires', `${interval};refresher=${refresher}`], ['Require', 'timer']];
  }

  /** The call faxes over its G.711 stream from now on (once per call). */
  private faxOnAudio(call: Call, why?: string): void {
    if (!call.audio || call.audioFax || call.mode !== 'audio') return;
    call.audioFax = true;
    this.out.emit({ type: 'audio', callId: call.id, remote: call.audio, ...(why ? { why } : {}) });
  }

  /** The far end's offered T.38 stream becomes the call's media (the answer was accepted). */
  private mediaT38(call: Call, offer: Sdp): void {
    const s = t38Stream(offer)!;
    this.out.cancel(T.t38Wait(call.id));
    call.mode = 't38';
    call.t38 = { remote: { host: s.host, port: s.port }, params: s.params };
  }

  private onAck(req: SipRequest): void {
    const call = this.dialogOf(req);
    if (!call) return;
    const seq = parseCSeq(header(req, 'CSeq') ?? '').seq;
    if (call.uas2xx && call.uas2xx.cseq === seq) {
      call.uas2xx = undefined;
      this.out.cancel(T.uas2xx(call.id));
    }
    call.incomingReinvite = false;
    if (req.body && call.mode === 'audio') {
      // The answer to the offer we put in a 2xx (the INVITE had none, §13.2.1).
      try {
        const answer = parseSdp(req.body);
        const t38 = t38Stream(answer);
        call.audio = audioStream(answer);
        if (t38) this.mediaT38FromAnswer(call, t38);
        else if (call.audio && this.cfg.media !== 't38') {
          call.t38AtOnce = false;
          this.faxOnAudio(call, this.cfg.media === 'audio' ? undefined : 'the caller chose G.711 over our T.38 offer');
        }
      } catch {
        // an unreadable answer leaves the call on audio; the driver gives up on it
      }
    }
    if (call.t38AtOnce) {
      call.t38AtOnce = false;
      if (call.mode === 'audio') this.sendReinviteT38(call);
    }
  }

  private onBye(tx: ServerTransaction, req: SipRequest): void {
    const call = this.dialogOf(req);
    if (!call) return this.respond(tx, 481, 'Call/Transaction Does Not Exist');
    this.respond(tx, 200, 'OK');
    if (call.pendingInvite) this.respond(call.pendingInvite, 487, 'Request Terminated');
    const ending = call.ending;
    this.end(call, ending?.result ?? 'completed', ending?.reason ?? 'the far end hung up', 'remote');
  }

  private onCancel(tx: ServerTransaction, req: SipRequest): void {
    const inv = this.tl.findInvite(req);
    if (!inv) return this.respond(tx, 481, 'Call/Transaction Does Not Exist');
    this.respond(tx, 200, 'OK');
    const call = this.calls.get(header(req, 'Call-ID') ?? '');
    if (call?.pendingInvite === inv) {
      // §9.2: the INVITE is answered 487 once its CANCEL is accepted.
      this.respond(inv, 487, 'Request Terminated');
      call.pendingInvite = undefined;
      this.end(call, 'cancelled', 'the caller cancelled before answer', 'remote', 487);
    }
  }

  // ---- responses out ----

  /** A response to a request, built as §8.2.6 says, with RFC 3581 received/rport filled in. */
  private response(req: SipRequest, status: number, reason: string, from: Peer | undefined, toTag?: string, extra: Header[] = [], body?: Sdp): SipResponse {
    const hs: Header[] = [];
    let firstVia = true;
    for (const [n, v] of req.headers) {
      const l = n.toLowerCase();
      if (l === 'via') {
        if (firstVia && from) {
          const via = parseVia(v);
          via.params.received = from.host;
          if ('rport' in via.params) via.params.rport = String(from.port);
          hs.push(['Via', formatVia(via)]);
        } else hs.push(['Via', v]);
        firstVia = false;
      } else if (l === 'from' || l === 'call-id' || l === 'cseq') hs.push([n, v]);
      else if (l === 'to') {
        const to = parseNameAddr(v);
        hs.push(['To', toTag && !to.params.tag && status > 100 ? `${v};tag=${toTag}` : v]);
      } else if (l === 'record-route' && status >= 180 && status < 300) hs.push([n, v]);
    }
    hs.push(...extra, ['Server', this.cfg.userAgent]);
    const text = body ? serialiseSdp(body) : '';
    if (text) hs.push(['Content-Type', 'application/sdp']);
    return { kind: 'response', status, reason, headers: hs, body: text };
  }

  private respond(tx: ServerTransaction, status: number, reason: string, extra: Header[] = [], body?: Sdp): void {
    const call = this.calls.get(header(tx.request, 'Call-ID') ?? '');
    this.tl.respond(tx, this.response(tx.request, status, reason, tx.from, call?.localTag ?? randomToken(6), extra, body));
  }

  /** A locally made response (transaction timeout → 408, §8.1.3.1). */
  private localResponse(req: SipRequest, status: number, reason: string): SipResponse {
    return this.response(req, status, reason, undefined);
  }

  /** Our 2xx to an INVITE, retransmitted by the UAS core until the ACK (§13.3.1.4). */
  private sendUas2xx(call: Call, tx: ServerTransaction, body: Sdp | undefined, extra: Header[] = []): void {
    const res = this.response(tx.request, 200, 'OK', tx.from, call.localTag, [['Contact', this.contact()], ['Allow', ALLOW], ...extra], body);
    this.tl.respond(tx, res);
    call.incomingReinvite = tx.request.headers.some(([n, v]) => n === 'To' && parseNameAddr(v).params.tag);
    call.uas2xx = { res, to: tx.from, interval: this.timers.T1, elapsed: 0, cseq: parseCSeq(header(tx.request, 'CSeq') ?? '').seq };
    if (tx.from.transport === 'UDP') this.out.timer(T.uas2xx(call.id), this.timers.T1);
    else this.out.timer(T.uas2xx(call.id), 64 * this.timers.T1);
  }

  // ---- timers ----

  private uaTick(id: string): void {
    if (id === T.register) {
      if (this.reg.active) this.sendRegister(this.cfg.registerExpires);
      return;
    }
    const [, kind, callId] = id.split(':');
    const call = this.calls.get(callId);
    if (!call) return;
    switch (kind) {
      case 't38wait':
        // The far end has not switched to T.38 by itself: we offer it (T.38 Annex D.2.1).
        if (call.mode === 'audio' && !call.incomingReinvite) this.sendReinviteT38(call);
        return;
      case 'glare':
        if (call.mode === 'audio') this.sendReinviteT38(call);
        return;
      case 'ring':
        if (call.state === 'calling' || call.state === 'early') this.doHangup(callId, { result: 'no-answer', reason: `no answer within ${Math.round(this.cfg.ringTimeoutMs / 1000)} s` });
        return;
      case '2xx': {
        const r = call.uas2xx;
        if (!r) return;
        r.elapsed += r.interval;
        if (r.elapsed >= 64 * this.timers.T1 || r.to.transport !== 'UDP') {
          // §13.3.1.4: no ACK within 64*T1: the dialog is confirmed and then ended by BYE.
          call.uas2xx = undefined;
          return this.sendBye(call, 'failed', 'the caller never acknowledged our answer (no ACK)');
        }
        this.out.send(r.to, r.res);
        r.interval = Math.min(r.interval * 2, this.timers.T2);
        this.out.timer(T.uas2xx(call.id), r.interval);
        return;
      }
    }
  }

  // ---- helpers ----

  private end(call: Call, result: SipCallResult, reason: string, by: 'local' | 'remote', status?: number): void {
    if (call.state === 'terminated') return;
    call.state = 'terminated';
    for (const t of [T.t38Wait, T.ring, T.glare, T.uas2xx]) this.out.cancel(t(call.id));
    this.calls.delete(call.id);
    this.out.emit({ type: 'ended', callId: call.id, result, reason, by, ...(status ? { status } : {}) });
  }

  /** Answers a 401/407 challenge (§22.2, §22.3): the same header kind the challenge came in. */
  private authHeader(req: SipRequest, res: SipResponse): Header | undefined {
    if (!this.cfg.credentials) return undefined;
    const proxy = res.status === 407;
    const value = header(res, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    if (!value) return undefined;
    try {
      const c = parseChallenge(value);
      return [proxy ? 'Proxy-Authorization' : 'Authorization', authorize(c, this.cfg.credentials, { method: req.method, uri: req.uri })];
    } catch {
      return undefined;
    }
  }

  private lastAuth(req: SipRequest): Header[] {
    return req.headers.filter(([n]) => /^(proxy-)?authorization$/i.test(n));
  }
}
