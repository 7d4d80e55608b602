// The contract between the node daemon and a line technology (simulated line, T.38, a fax
// server such as HylaFAX). It lives in a library of its own so that drivers built in other
// packages implement this very interface instead of a copy of it.

/**
 * What one call attempt ended with: the line layer's verdict, which dispatch's retry policy
 * reads and the fax record keeps. Defined here, in the lowest layer that uses it.
 */
export type CallResult = 'success' | 'busy' | 'no-answer' | 'no-carrier' | 'failed' | 'rejected';

/** One outgoing fax call as a line driver sees it. */
export interface OutgoingCall {
  callId: string;
  number: string;
  dialString: string;
  /** The whole document (TIFF Class F); the driver sends pages fromPage..last. */
  document: Uint8Array;
  fromPage: number;
  line: string;
  /**
   * The highest rate (bit/s) to train at: destination memory lowers it after this number refused
   * faster rates (FTT) in earlier calls. Drivers that cannot choose ignore it.
   */
  maxBps?: number;
  /**
   * Called as the receiver confirms each page (T.30 MCF), with the pages confirmed so far in
   * this call. The far machine prints what it confirmed, so the node records it at once: if the
   * call or the node dies later, the next attempt starts after the last confirmed page.
   */
  onPageConfirmed?(confirmed: number): void;
  /**
   * Several faxes to the same number in one call (batching, issue 14): `document` holds their
   * pages back to back and `fromPage` is 1. Each part is one document: the driver ends the last
   * page of a part with EOM (PPS-EOM in ECM, T.30 §5.3.6.1.7) and re-enters phase B, its other
   * pages with MPS, the last part's last page with EOP. Only drivers with `multiDocument` get it.
   */
  parts?: CallPart[];
}

/** One fax's document inside a batched call. */
export interface CallPart {
  /** The call id the part's own fax would have dialled with. */
  callId: string;
  /** Its first page in its own fax (a resumed fax starts after its confirmed pages). */
  fromPage: number;
  /** Its pages in the call's document. */
  pages: number;
}

export interface CallOutcome {
  result: CallResult;
  /** Pages the receiver confirmed in this call. */
  pagesSent: number;
  remoteId?: string;
  durationMs: number;
  /** A sentence for the sender when the call did not succeed. */
  reason?: string;
  /** What the call learned about the far machine, for destination memory (drivers report what they can). */
  remote?: RemoteCapabilities;
  /**
   * The line that carried the call, where the driver picks one of its own devices for it (a
   * modem of a class1 pool) instead of the node's call slot it was given: the attempt records
   * this line instead of the slot.
   */
  line?: string;
  /** The device behind `line` (a modem's tty), as DriverLineState names it. */
  device?: string;
  /** What that device said it is when it was last probed (a modem's ATI, +FMI/+FMM/+FMR). */
  deviceIdentity?: string;
}

/**
 * What a call learned about the far fax machine (HylaFAX keeps the same in its `info/` files):
 * its DIS (T.30 §5.3.6.2.1, Table 2), its CSI, the speed that trained, the speeds that failed
 * training, ECM trouble, or that no fax machine answered at all.
 */
export interface RemoteCapabilities {
  /** Called subscriber identification (T.30 §5.3.6.2.4), as received. */
  csi?: string;
  /** What the DIS offered. */
  dis?: { rates?: number[]; ecm?: boolean; mmr?: boolean; mr?: boolean; widths?: number[]; fine?: boolean; superfine?: boolean };
  /** Signalling rate of the page data in bit/s, when training succeeded. */
  speed?: number;
  /** Rates (bit/s) at which TCF training failed (FTT, T.30 §5.3.6.1.4) in this call. */
  trainingFailures?: number[];
  /** ECM was used and frames had to be repeated until the engine gave up or fell back. */
  ecmTrouble?: boolean;
  /** The call was answered, but by a voice or a person: no fax tone (CED / V.21 flags). */
  noFaxTone?: boolean;
}

/**
 * A line technology (the simulated line, T.38, a HylaFAX server): places a call and reports its outcome, and
 * when it can receive, answers calls (see ReceivingLineDriver for the receive side).
 */
export interface LineDriver {
  readonly name: string;
  /** The driver sends `OutgoingCall.parts` as separate documents in one call (T.30 EOM). */
  readonly multiDocument?: boolean;
  send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome>;
  /**
   * Drivers whose calls go on without the node that placed them (a fax server's queue: hylafax):
   * the outcome of the call `callId` a node started before it stopped (kill, crash), followed to
   * its end where it runs, without dialling. `undefined`: the call never left the node, and
   * sending it now sends it once. Drivers whose calls die with their node leave it out: their
   * interrupted call ends with the pages confirmed before the stop.
   */
  recover?(callId: string, signal: AbortSignal): Promise<CallOutcome | undefined>;
  /** Receives one answered call to its end (drivers that cannot receive leave it out). */
  receive?(call: IncomingCall, signal: AbortSignal): Promise<ReceiveOutcome>;
  /** Starts answering calls by itself, handing each to `sink`; resolves with a stop function. */
  listen?(sink: ReceivedFaxSink): Promise<() => Promise<void>>;
  /**
   * Drivers fed by a fax server's receive queue (HylaFAX's recvq): how often the pool's
   * `poll-received` job runs, 0 for never. Drivers that do not poll leave it out.
   */
  readonly pollIntervalMs?: number;
  /** One poll of the server: each new received fax goes to `sink`, then leaves the server. */
  pollReceived?(sink: ReceivedFaxSink): Promise<void>;
  /**
   * Drivers whose lines are devices that can fail on their own (one modem each: class1): every
   * line's state now, for the console's line view. Drivers whose lines are call slots leave it out.
   */
  lineStates?(): DriverLineState[];
  /**
   * Drivers whose calls have a SIP side (sip): the state of each running outgoing call, by its
   * OutgoingCall.callId, for the console's line view.
   */
  sipCallStates?(): Map<string, SipCallState>;
  /** Drivers that answer calls outside the pool's lines (sip): each incoming call running now. */
  incomingCalls?(): IncomingCallLine[];
}

/** Where the SIP side of a call stands (the line view's `sip` field). */
export interface SipCallState {
  /** calling: INVITE sent; ringing: a provisional answer (RFC 3261 §13.2.2.1); answered: 200 OK, media not settled; faxing: on `media`. */
  state: 'calling' | 'ringing' | 'answered' | 'faxing';
  /** The SIP Call-ID. */
  callId: string;
  /** Outgoing: the Request-URI dialled; incoming: the caller (P-Asserted-Identity or From, E.164 where a number). */
  remote: string;
  /** `incoming`: the far end called (absent: this node called). */
  direction?: 'incoming';
  /** Incoming: the number called (the DID). */
  did?: string;
  media?: 't38' | 'audio';
}

/**
 * An incoming call a driver answers by itself, outside the pool's call slots (sip): shown as a
 * line of its own in the line view while it runs.
 */
export interface IncomingCallLine {
  line: string;
  /** The call's id as the received fax will carry it (IncomingCall.callId). */
  callId: string;
  /** ISO time the call was answered. */
  since: string;
  sip: SipCallState;
}

/** One device line as its driver sees it (see LineDriver.lineStates). */
export interface DriverLineState {
  line: string;
  /** The device behind the line (a modem's tty). */
  device?: string;
  /** starting: being opened, reset and probed; down: unusable, retried with backoff. */
  state: 'starting' | 'idle' | 'busy' | 'down';
  /** Why the line is down: the failing command or device error. */
  reason?: string;
  /** The call on a busy line. */
  callId?: string;
  /** ISO time the line entered this state. */
  since: string;
}

/** An incoming call a line driver answers: who called whom on which line. */
export interface IncomingCall {
  callId: string;
  line: string;
  /** The device behind the line (a modem's tty) and its probed identity, where the line is a device. */
  device?: string;
  deviceIdentity?: string;
  /** Called number (DID) as the network delivered it. */
  did: string;
  callingNumber: string;
  /**
   * Caller name where the network delivers one (a modem's caller ID `NAME`, T.31's +VCID, from
   * the line's Calling Name Delivery); absent when none came or the network withheld it.
   */
  callingName?: string;
  /**
   * The simulated remote machine's side of the call (faxgate sim receive): what it sends and
   * how it identifies itself. Real drivers learn these from T.30 (TSI, SUB) and leave it unset.
   */
  simRemote?: { document: Uint8Array; csid?: string; subAddress?: string; failAfterPage?: number };
}

/** What a receiving driver got: the pages as TIFF Class F and what T.30 told it. */
export interface ReceiveOutcome {
  /** Pages received in full (possibly none), as TIFF Class F; undefined when no page arrived. */
  document?: Uint8Array;
  pages: number;
  badRows: number;
  /** Remote station id from the TSI frame (T.30 §5.3.6.2.4). */
  csid?: string;
  /** Sub-address from the SUB frame (T.30 §5.3.6.2.11). */
  subAddress?: string;
  /** The call ended before the sender's EOP: what arrived is kept and marked partial. */
  partial: boolean;
  durationMs: number;
  reason?: string;
}

/**
 * The receiving side of a line technology. `receive` runs one answered call to its end; drivers
 * that answer by themselves (T.38 listening for a UDPTL peer) hand each call to the node through
 * the `ReceivedFaxSink` given to `listen`.
 */
export type ReceivingLineDriver = Required<Pick<LineDriver, 'receive'>> & Pick<LineDriver, 'listen'>;

/**
 * `inboundId`, when given, is derived from the source's own stable name for the fax (e.g. a
 * HylaFAX recvq file), so a fax handed over again is recorded once.
 */
export type ReceivedFaxSink = (call: Omit<IncomingCall, 'simRemote'>, outcome: ReceiveOutcome, inboundId?: string) => Promise<string>;
