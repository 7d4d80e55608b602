import { readTiff, sliceTiff } from '@faxgate/fax-image';
import { createT30Engine, type T30Result, type SessionParams } from '@faxgate/t30';
import { AUDIO_MODEMS } from '@faxgate/modem';
import { SIP_UDP_RECEIVE_BUFFER, SipEndpoint, type SipEndpointOptions, type UaEvent } from '@faxgate/sip';
import type { CallOutcome, IncomingCallLine, LineDriver, OutgoingCall, ReceivedFaxSink, ReceiveOutcome, SipCallState } from '@faxgate/line-driver';
import type { Logger } from 'pino';
import { FaxLegs } from './sip-fax-legs.ts';
import { judgePage, receivedDocument, type ReceivedPage } from './sip-fax-pages.ts';
import { codedAheadDocument, type CodedAheadDocument } from './sip-page-coder.ts';
import { CallMedia } from './sip-media.ts';
import { MediaPortRange, MediaPortsExhausted } from './sip-media-ports.ts';
import { dialUri, numberOfUri } from './sip-numbers.ts';
import { toOutcome } from './t38-line-driver.ts';
import { documentEnds } from './batch-shares.ts';

export interface SipDriverOptions {
  /** The SIP endpoint: bind address and port, trunk, credentials, timers. */
  sip: SipEndpointOptions;
  /** Request-URI of outgoing calls, see dialUri(). */
  dialFormat: string;
  /** From user of outgoing calls (the caller ID a trunk shows); default `sip.user`. */
  callerId?: string;
  /** URI sent as P-Asserted-Identity on outgoing calls (RFC 3325), e.g. `sip:+12125550100@carrier.example`. */
  assertedIdentity?: string;
  /**
   * The ports calls' RTP and UDPTL bind to (FAXGATE_SIP_MEDIA_PORTS, see sip-media-ports.ts);
   * unset: any free ports.
   */
  mediaPorts?: { first: number; last: number };
  /** Calls at once on this trunk, both directions; more incoming ones are refused with 486. */
  maxCalls: number;
  /** Outgoing calls started per second at most (carriers cap it); 0: no cap. */
  callsPerSecond: number;
  /** TSI/CSI of this node (T.30 §5.3.6.2.2). */
  localId: string;
  ecm: boolean;
  /** Earlier IFPs repeated in each UDPTL datagram (T.38 §9.1). */
  redundancy: number;
  /** For national numbers in From / P-Asserted-Identity. */
  country: string;
  /** Line name prefix, e.g. `<pool>/<node>/sip`. */
  line: string;
  /** OPTIONS to the trunk this often (RFC 3261 §11 as keep-alive); 0: never. */
  keepAliveMs: number;
  /**
   * G.711 jitter buffer (RFC 3550 §6.4.1 jitter absorbed by a fixed delay), ms; default 200.
   * T.30 tolerates far more delay than speech: a deeper buffer costs nothing but survives a
   * loaded host's late timers.
   */
  jitterBufferMs?: number;
  log: Logger;
  /**
   * Each call's final SIP response to its INVITE, once known (for faxgate_sip_calls_total):
   * outgoing, the far end's (`none` when none came); incoming, ours.
   */
  onFinalResponse?: (direction: 'outgoing' | 'incoming', code: string) => void;
}

type CallEvents = (e: UaEvent) => void;

/**
 * After answer, how long a call may stay without fax media (T.38 or G.711) on top of the T.38 wait: our re-INVITE's
 * own transaction timeout (64*T1 = 32 s, RFC 3261 §17.1.1.2) plus a margin. A far end that
 * neither switches nor answers our offer is hung up instead of holding a line for ever.
 */
const NO_T38_GRACE_MS = 40_000;

const DEFAULT_JITTER_MS = 200;

/**
 * After our DCN went out over UDPTL, how long the sender waits for the far end to hang up before
 * sending its own BYE. The receiver disconnects on DCN (T.30 §5.3.6.1.9); the DCN and our BYE
 * travel on different streams, and a BYE that overtakes the DCN makes the receiver see the call
 * cut before T.30 ended (seen with 100 calls at once in bench/sip-t38-loop: a quarter of the
 * received faxes were judged incomplete).
 */
const T38_HANGUP_GRACE_MS = 2000;

/**
 * The `sip` line driver: the node is a SIP fax endpoint. Outgoing calls are INVITEs offering
 * G.711 that switch to T.38 (the far end's re-INVITE, or ours after a few seconds); incoming
 * calls are answered and switched to T.38 at once. Where the far end refuses T.38 (488) or the
 * pool is configured for audio (`sip.media`), the fax goes over the call's G.711 stream with
 * faxgate's own modems. Each call's fax runs through faxgate's own T.30 engine on the call's
 * own ports (see sip-fax-legs.ts).
 */
export class SipLineDriver implements LineDriver {
  readonly name = 'sip';
  /** A batch's faxes go out as separate documents, EOM between them (T.30 §5.3.6.1.7), on T.38 and G.711 alike. */
  readonly multiDocument = true;
  private readonly o: SipDriverOptions;
  private readonly ep: SipEndpoint;
  private readonly mediaPorts: MediaPortRange | undefined;
  private started: Promise<void> | undefined;
  private readonly perCall = new Map<string, CallEvents>();
  private sink: ReceivedFaxSink | undefined;
  private active = 0;
  /** When the last outgoing INVITE left (the calls-per-second cap counts from there). */
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Settles when the call ahead in the cap's queue has left (or given up its turn). */
  private paceQueue: Promise<void> = Promise.resolve();
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<unknown>>();
  /** Our BYEs held back after a T.38 fax, waiting for the far end's (see T38_HANGUP_GRACE_MS). */
  private readonly heldHangups = new Map<string, NodeJS.Timeout>();
  /** The SIP side of each running outgoing call, by OutgoingCall.callId (the line view). */
  private readonly states = new Map<string, SipCallState>();
  /** Each running incoming call as a line of the line view, by SIP Call-ID. */
  private readonly incoming = new Map<string, IncomingCallLine>();

  constructor(o: SipDriverOptions) {
    this.o = o;
    this.mediaPorts = o.mediaPorts ? new MediaPortRange(o.mediaPorts.first, o.mediaPorts.last) : undefined;
    // A node faxes over G.711 where the far end refuses T.38, unless its pool says otherwise.
    this.ep = new SipEndpoint({ media: 't38-then-audio', ...o.sip, callAvailability: () => this.callAvailability() });
    this.ep.on('event', (e) => this.onEvent(e));
    this.ep.on('error', (err) => o.log.warn({ err: err.message }, 'sip socket error'));
  }

  /** The bound SIP port (after the first call or listen). */
  get port(): number {
    return this.ep.port;
  }

  private ready(): Promise<void> {
    this.started ??= this.ep.start().then(() => {
      const queue = this.ep.udpReceiveBuffer;
      this.o.log.info({ port: this.ep.port, transport: this.ep.transport, udpReceiveBuffer: queue }, 'sip endpoint listening');
      // Linux reports twice what it grants (socket(7)); less than asked means rmem_max capped it.
      if (queue !== undefined && queue < 2 * SIP_UDP_RECEIVE_BUFFER) {
        this.o.log.warn({ udpReceiveBuffer: queue, wanted: SIP_UDP_RECEIVE_BUFFER }, `the SIP socket's receive queue is ${Math.round(queue / 2048)} KiB, not the 4096 KiB asked for (net.core.rmem_max): a burst of calls may lose SIP datagrams; raise it with sysctl -w net.core.rmem_max=${SIP_UDP_RECEIVE_BUFFER}`);
      }
      if (this.o.sip.registrar) this.ep.do((ua) => ua.register());
      const target = this.o.sip.outboundProxy ? `sip:${this.o.sip.outboundProxy.host}:${this.o.sip.outboundProxy.port}` : this.o.sip.registrar;
      if (this.o.keepAliveMs > 0 && target) {
        this.keepAlive = setInterval(() => this.ep.do((ua) => ua.options(target)), this.o.keepAliveMs);
        this.keepAlive.unref();
      }
    });
    return this.started;
  }

  private onEvent(e: UaEvent): void {
    switch (e.type) {
      case 'registered':
        this.o.log.info({ expires: e.expires }, 'sip registered');
        return;
      case 'registration-failed':
        this.o.log.warn({ status: e.status, reason: e.reason }, 'sip registration failed');
        return;
      case 'options-result':
        if (e.status >= 300) this.o.log.warn({ target: e.target, status: e.status }, 'sip keep-alive OPTIONS failed');
        return;
      case 'incoming':
        this.track(this.answerCall(e));
        return;
      default:
        if (e.type === 'ended') {
          clearTimeout(this.heldHangups.get(e.callId));
          this.heldHangups.delete(e.callId);
        }
        this.perCall.get(e.callId)?.(e);
    }
  }

  private track(p: Promise<unknown>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /**
   * Waits for this call's turn under the calls-per-second cap (a carrier refuses bursts with 503
   * or 403). Calls queued at once leave in order, each 1/cap s after the previous INVITE really
   * left, so neither a late timer nor work between a turn and its INVITE lets two calls follow
   * closer than that. Resolves with `left`, which the caller calls as its INVITE goes out (or
   * with `false` when it gives up its turn without one); the next call waits until then.
   */
  private pace(signal: AbortSignal): Promise<(sent?: boolean) => void> {
    if (this.o.callsPerSecond <= 0) return Promise.resolve(() => undefined);
    const ahead = this.paceQueue;
    let release!: () => void;
    this.paceQueue = new Promise<void>((r) => { release = r; });
    let gone = false;
    const left = (sent = true) => {
      if (gone) return;
      gone = true;
      if (sent) this.lastStart = Date.now();
      release();
    };
    const gap = 1000 / this.o.callsPerSecond;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const abort = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void ahead.then(() => left(false));
        reject(new Error('call aborted'));
      };
      const tryStart = () => {
        if (settled) return;
        // Timers may fire a millisecond early by Date.now(): wait again rather than start early.
        const wait = this.lastStart + gap - Date.now();
        if (wait > 0) {
          timer = setTimeout(tryStart, Math.ceil(wait));
          return;
        }
        settled = true;
        signal.removeEventListener('abort', abort);
        resolve(left);
      };
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      void ahead.then(tryStart);
    });
  }

  async send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    await this.ready();
    if (this.active >= this.o.maxCalls) throw new Error(`all ${this.o.maxCalls} SIP channels of this trunk are busy`);
    this.active++;
    let media: CallMedia | undefined;
    let callId = '';
    /** Each leg's document, its pages coded ahead on the page coder's thread. */
    const codedDocs: CodedAheadDocument[] = [];
    let coded: CodedAheadDocument | undefined;
    /** This call's turn under the calls-per-second cap: taken, and given back once its INVITE left. */
    let left: ((sent?: boolean) => void) | undefined;
    try {
      try {
        media = await CallMedia.open(this.o.sip.bindHost, this.mediaPorts);
      } catch (err) {
        // Like a 503 from the trunk: no call is placed, the worker retries later.
        if (err instanceof MediaPortsExhausted) throw new Error(`congestion on this node: ${err.message}, try later`);
        throw err;
      }
      const total = readTiff(call.document).length;
      const pages = call.fromPage > 1 ? sliceTiff(call.document, call.fromPage - 1, total) : call.document;
      const sendCount = total - (call.fromPage - 1);
      const uri = dialUri(this.o.dialFormat, call, this.o.sip.domain);
      left = await this.pace(signal);
      const started = Date.now();
      const m = media;
      return await new Promise<CallOutcome>((resolve, reject) => {
        /** Pages the far end confirmed on earlier legs (audio before a switch to T.38) and on this one. */
        let carried = 0;
        let confirmed = 0;
        /** T.30's own end of the call (its DCN is queued; the far end may hang up before it is out). */
        let t30: T30Result | undefined;
        let faxStart = 0;
        let guard: NodeJS.Timeout | undefined;
        let settled = false;
        const finish = (o: CallOutcome | Error) => {
          clearTimeout(guard);
          if (settled) return;
          settled = true;
          if (o instanceof Error) reject(o);
          else resolve(o);
        };
        const withCarried = (o: CallOutcome): CallOutcome => ({ ...o, pagesSent: o.pagesSent + carried });
        const legs = new FaxLegs({
          media: m, calling: true, redundancy: this.o.redundancy, jitterFrames: this.jitterFrames,
          log: (l) => this.o.log.debug({ callId }, l),
          makeEngine: (kind) => {
            // A switch to T.38 after pages went over audio sends only the pages not yet confirmed.
            carried += confirmed;
            confirmed = 0;
            t30 = undefined;
            const doc = carried > 0 ? sliceTiff(pages, carried, sendCount) : pages;
            // A batched call's document boundaries move with the pages already carried.
            coded = codedAheadDocument(doc, documentEnds(call.parts, carried));
            codedDocs.push(coded);
            return createT30Engine({ role: 'send', localId: this.o.localId, ecm: this.o.ecm, modems: kind === 'audio' ? [...AUDIO_MODEMS] : ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr', 'mmr'], document: coded });
          },
          onAction: (_kind, a) => {
            coded?.observe(a);
            if (a.type === 'page-confirmed') {
              confirmed = a.confirmed;
              // Recorded as it comes (a retry resumes after it; a batch starts its next fax's attempt).
              call.onPageConfirmed?.(carried + confirmed);
            } else if (a.type === 'call-ended') t30 = a.result;
          },
          onDone: (kind, r) => {
            // The outcome first: our own BYE below also ends the call.
            finish(withCarried(toOutcome(r, Date.now() - faxStart)));
            if (kind === 't38' && r.success) this.holdHangup(callId);
            else this.ep.do((ua) => ua.hangup(callId));
          },
        });
        const startLeg = (kind: 't38' | 'audio', start: () => void) => {
          const before = legs.kind;
          if (!before) faxStart = Date.now();
          start();
          if (legs.kind !== before) this.o.log.info({ callId, media: kind, ...(before ? { from: before } : {}) }, 'sip fax media');
        };
        const handler: CallEvents = (e) => {
          if (e.type === 'answered') {
            guard = setTimeout(() => {
              if (!legs.kind) this.ep.do((ua) => ua.hangup(callId, { result: 'failed', reason: 'the call was answered but its media never settled on T.38 or G.711' }));
            }, (this.o.sip.t38WaitMs ?? 3000) + NO_T38_GRACE_MS);
          } else if (e.type === 't38') {
            if (legs.kind === 't38') this.o.log.warn({ callId }, 'the far end moved the T.38 stream during a fax; kept the first one');
            // Every page already confirmed over audio: T.30 is in its last steps there (no
            // document would be left to send on T.38).
            else if (carried + confirmed >= sendCount) this.o.log.info({ callId }, 'the far end switched to T.38 after the last page was confirmed over audio; kept audio');
            else startLeg('t38', () => legs.startT38(e.remote));
          } else if (e.type === 'audio') {
            if (e.why) this.o.log.info({ callId, why: e.why }, 'sip call falls back to G.711 audio');
            startLeg('audio', () => legs.startAudio(e.remote));
          } else if (e.type === 'ended') {
            legs.abort();
            if (legs.kind && t30) {
              // T.30 had ended (T.30 §5.3.6.1.9: the receiver hangs up on our DCN): its result stands.
              finish(withCarried(toOutcome(t30, Date.now() - started)));
            } else if (legs.kind) {
              // The far end hung up during the fax: what it confirmed counts, the rest is retried.
              const sent = carried + confirmed;
              finish({ result: sent > 0 ? 'no-carrier' : 'failed', pagesSent: sent, durationMs: Date.now() - started, reason: `call ended during the fax: ${e.reason}` });
            } else if (e.result === 'congestion') {
              // 503: the trunk is overloaded; a later try goes through (the worker retries with backoff).
              finish(new Error(`the SIP trunk is congested (${e.reason}), try later`));
            } else {
              const result = e.result === 'busy' ? 'busy' : e.result === 'rejected' ? 'rejected' : e.result === 'no-answer' || e.result === 'cancelled' ? 'no-answer' : 'failed';
              finish({ result, pagesSent: 0, durationMs: Date.now() - started, reason: `SIP: ${e.reason}` });
            }
          }
        };
        ({ callId } = this.ep.do((ua) => ua.invite(uri, m.local(this.advertisedHost), { callerId: this.o.callerId ?? this.o.sip.user, ...(this.o.assertedIdentity ? { assertedIdentity: this.o.assertedIdentity } : {}) })));
        left?.();
        this.states.set(call.callId, { state: 'calling', callId, remote: uri });
        /** The INVITE's final response was counted (on answer, or on the end of an unanswered call). */
        let counted = false;
        const state = (next: Partial<SipCallState>) => {
          const now = this.states.get(call.callId);
          if (now) this.states.set(call.callId, { ...now, ...next });
        };
        this.perCall.set(callId, (e) => {
          if (e.type === 'progress' && e.status > 100) state({ state: 'ringing' });
          else if (e.type === 'answered') state({ state: 'answered' });
          else if (e.type === 't38' || e.type === 'audio') state({ state: 'faxing', media: e.type });
          if (!counted && (e.type === 'answered' || e.type === 'ended')) {
            counted = true;
            this.o.onFinalResponse?.('outgoing', e.type === 'answered' ? '200' : String(e.status ?? 'none'));
          }
          handler(e);
        });
        this.o.log.info({ callId, uri, callRef: call.callId }, 'sip call placed');
        const abort = () => {
          legs.abort();
          this.ep.do((ua) => ua.hangup(callId, { result: 'cancelled', reason: 'aborted' }));
          finish(new Error('call aborted'));
        };
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      });
    } finally {
      left?.(false);
      for (const d of codedDocs) {
        this.o.log.debug({ callId, pagesCodedAhead: d.stats.ahead, pagesCodedOnTheSpot: d.stats.onTheSpot }, 'page coding');
        d.dispose();
      }
      this.perCall.delete(callId);
      this.states.delete(call.callId);
      // Its ports are back in the range before the next call is taken.
      await media?.close();
      this.active--;
    }
  }

  /** Where each running outgoing call stands on the SIP side. */
  sipCallStates(): Map<string, SipCallState> {
    return new Map(this.states);
  }

  /** Each incoming call running now, answered until its ports are given back. */
  incomingCalls(): IncomingCallLine[] {
    return [...this.incoming.values()];
  }

  /** Sends BYE for `callId` unless the far end hangs up first (a BYE to an ended call sends nothing). */
  private holdHangup(callId: string): void {
    const t = setTimeout(() => {
      this.heldHangups.delete(callId);
      this.ep.do((ua) => ua.hangup(callId));
    }, T38_HANGUP_GRACE_MS);
    t.unref();
    this.heldHangups.set(callId, t);
  }

  /** The G.711 jitter buffer in 20 ms frames. */
  private get jitterFrames(): number {
    return Math.max(1, Math.round((this.o.jitterBufferMs ?? DEFAULT_JITTER_MS) / 20));
  }

  private get advertisedHost(): string {
    return this.o.sip.advertised?.host ?? this.o.sip.bindHost;
  }

  /** Answers calls by itself; each received fax goes to `sink`. */
  async listen(sink: ReceivedFaxSink): Promise<() => Promise<void>> {
    this.sink = sink;
    await this.ready();
    return () => this.stop();
  }

  /**
   * What an incoming INVITE would get now, for OPTIONS (RFC 3261 §11.2): 486 as answerCall gives
   * when the node takes no calls or every line is busy, 503 when the media ports are all held.
   */
  private callAvailability(): { status: number; reason: string } {
    if (!this.sink || this.active >= this.o.maxCalls) return { status: 486, reason: 'Busy Here' };
    if (this.mediaPorts && this.mediaPorts.inUse >= this.mediaPorts.calls) return { status: 503, reason: 'Service Unavailable: No Media Ports Free' };
    return { status: 200, reason: 'OK' };
  }

  private async answerCall(inc: Extract<UaEvent, { type: 'incoming' }>): Promise<void> {
    const callId = inc.callId;
    if (!this.sink || this.active >= this.o.maxCalls) {
      this.ep.do((ua) => ua.reject(callId, 486, 'Busy Here'));
      this.o.onFinalResponse?.('incoming', '486');
      return;
    }
    const sink = this.sink;
    this.active++;
    let media: CallMedia | undefined;
    const country = this.o.country;
    // The called number: the Request-URI's user part when it is a number (a trunk sends the DID
    // there), else To (a registered contact carries our AOR user instead).
    const ruri = numberOfUri(inc.requestUri, country);
    const did = /^\+?\d+$/.test(ruri) ? ruri : numberOfUri(inc.to, country);
    const callingNumber = numberOfUri(inc.assertedIdentity ?? inc.from, country);
    const line = `${this.o.line}/${callId.slice(0, 12)}`;
    try {
      try {
        media = await CallMedia.open(this.o.sip.bindHost, this.mediaPorts);
      } catch (err) {
        if (!(err instanceof MediaPortsExhausted)) throw err;
        // RFC 3261 §21.5.4: 503, the trunk tries another node or later; the reason phrase says why (§7.2).
        this.ep.do((ua) => ua.reject(callId, 503, 'Service Unavailable: No Media Ports Free'));
        this.o.onFinalResponse?.('incoming', '503');
        this.o.log.warn({ callId, err: err.message }, 'incoming SIP call refused with 503');
        return;
      }
      const m = media;
      this.incoming.set(callId, { line, callId: `sip-${callId}`, since: new Date().toISOString(), sip: { state: 'answered', callId, remote: callingNumber, direction: 'incoming', did } });
      let guard: NodeJS.Timeout | undefined;
      const pages: ReceivedPage[] = [];
      let answeredAt = Date.now();
      /** How the fax ended; undefined: the call ended before any fax media. */
      const ending = await new Promise<{ success: boolean; reason?: string; csid?: string; sub?: string } | undefined>((resolve) => {
        let t30: T30Result | undefined;
        const endOf = (r: T30Result) => ({ success: r.success, ...(r.success ? {} : { reason: r.sentence }), ...(r.remoteId.trim() ? { csid: r.remoteId.trim() } : {}), ...(r.subaddress ? { sub: r.subaddress } : {}) });
        const legs = new FaxLegs({
          media: m, calling: false, redundancy: this.o.redundancy, jitterFrames: this.jitterFrames,
          log: (l) => this.o.log.debug({ callId }, l),
          makeEngine: (kind) => {
            t30 = undefined;
            return createT30Engine({ role: 'receive', localId: this.o.localId, ecm: true, modems: kind === 'audio' ? [...AUDIO_MODEMS] : ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr', 'mmr'], judgePage });
          },
          onAction: (_kind, a) => {
            if (a.type === 'page-received') pages.push({ data: a.data, params: a.params });
            else if (a.type === 'call-ended') t30 = a.result;
          },
          onDone: (_kind, r) => {
            resolve(endOf(r));
            this.ep.do((ua) => ua.hangup(callId));
          },
        });
        const startLeg = (kind: 't38' | 'audio', start: () => void) => {
          const before = legs.kind;
          if (!before) answeredAt = Date.now();
          start();
          if (legs.kind !== before) this.o.log.info({ callId, media: kind, ...(before ? { from: before } : {}) }, 'sip fax media');
        };
        this.perCall.set(callId, (e) => {
          const shown = this.incoming.get(callId);
          if (shown && (e.type === 't38' || e.type === 'audio')) shown.sip = { ...shown.sip, state: 'faxing', media: e.type };
          if (e.type === 't38') startLeg('t38', () => legs.startT38(e.remote));
          else if (e.type === 'audio') {
            if (e.why) this.o.log.info({ callId, why: e.why }, 'sip call falls back to G.711 audio');
            startLeg('audio', () => legs.startAudio(e.remote));
          } else if (e.type === 'ended') {
            legs.abort();
            // A sender hangs up right after its DCN; if T.30 had ended, its result stands.
            if (legs.kind && t30) resolve(endOf(t30));
            else resolve(legs.kind ? { success: false, reason: `call ended during the fax: ${e.reason}` } : undefined);
          }
        });
        const answered = this.ep.do((ua) => ua.answer(callId, m.local(this.advertisedHost)));
        // An offer without a stream we take is refused (488) instead of answered.
        const refused = answered.find((x) => x.type === 'event' && x.event.type === 'ended');
        this.o.onFinalResponse?.('incoming', refused?.type === 'event' && refused.event.type === 'ended' ? String(refused.event.status ?? 'none') : '200');
        guard = setTimeout(() => {
          if (!legs.kind) this.ep.do((ua) => ua.hangup(callId, { result: 'failed', reason: 'the call was answered but its media never settled on T.38 or G.711' }));
        }, NO_T38_GRACE_MS);
        this.o.log.info({ callId, did, from: callingNumber }, 'sip call answered');
      });
      clearTimeout(guard);
      const endedAt = Date.now();
      let outcome: ReceiveOutcome | undefined;
      if (ending) {
        const tiff = pages.length ? await receivedDocument(pages) : undefined;
        outcome = {
          document: tiff?.document, pages: pages.length, badRows: tiff?.badRows ?? 0, partial: !ending.success, durationMs: endedAt - answeredAt,
          ...(ending.csid ? { csid: ending.csid } : {}), ...(ending.sub ? { subAddress: ending.sub } : {}), ...(ending.reason ? { reason: ending.reason } : {}),
        };
      }
      if (outcome && (outcome.pages > 0 || outcome.csid)) {
        const id = await sink({ callId: `sip-${callId}`, line, did, callingNumber }, outcome);
        this.o.log.info({ inboundId: id, pages: outcome.pages, partial: outcome.partial }, 'sip fax received');
      } else this.o.log.info({ callId, did }, 'sip call ended without a fax');
    } catch (err) {
      this.o.log.error({ err: (err as Error).message, callId }, 'a SIP fax call could not be received');
    } finally {
      this.perCall.delete(callId);
      // Its ports are back in the range before the next call is taken.
      await media?.close();
      this.incoming.delete(callId);
      this.active--;
    }
  }

  /** Unregisters and closes the endpoint; calls still running get BYE. */
  async stop(): Promise<void> {
    if (!this.started) return;
    await this.started;
    clearInterval(this.keepAlive);
    for (const id of this.perCall.keys()) this.ep.do((ua) => ua.hangup(id, { result: 'cancelled', reason: 'node stopping' }));
    for (const [id, t] of this.heldHangups) {
      clearTimeout(t);
      this.ep.do((ua) => ua.hangup(id));
    }
    this.heldHangups.clear();
    if (this.o.sip.registrar) this.ep.do((ua) => ua.unregister());
    // Let the BYEs and the un-REGISTER leave before the socket closes.
    await new Promise((r) => setTimeout(r, 200));
    await this.ep.close();
    this.started = undefined;
  }
}
