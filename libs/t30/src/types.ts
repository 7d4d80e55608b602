import type { CompletionCode } from './completion.ts';
import type { Capabilities, Encoding, PageLength, PageWidth, Resolution, SessionParams } from './dis.ts';
import type { Modulation } from './modulation.ts';

/** The T.30 timers the engine runs (§5.4.3.1; T5 in Annex A). */
export type TimerName = 'T1' | 'T2' | 'T4' | 'T5';

/**
 * Timer values in ms. Each is the nominal value of T.30 §5.4.3.1 (T5: Annex A), the middle of
 * the tolerance the standard allows, so that we meet a far end at either edge of its own:
 * - T1, 35 ± 5 s: how long the stations try to identify each other (no DIS, or no valid
 *   command, after the call is connected) before the call is given up.
 * - T2, 6 ± 1 s: how long a station waits for a command, e.g. the receiver for the next page's
 *   training or the post-page command. It must outlast T4: a sender whose command was lost
 *   repeats it after T4 (3 s), and the receiver must still be listening then.
 * - T4, 3 s ± 15 % (2.55 to 3.45 s): how long a station waits for a response before it repeats
 *   its command (the sender three times, MAX_TRIES in sender.ts). 3 s lets a repeat reach a receiver whose
 *   T2 runs, even at the short end of T2's tolerance (5 s), with time for the far end to answer.
 * - T5, 60 ± 5 s: ECM, how long a sender keeps asking (RR) a receiver that answered RNR.
 * T3 (10 ± 5 s, the operator alert after a procedure interrupt) is not run: no operator answers.
 */
export const TIMER_MS: Record<TimerName, number> = { T1: 35_000, T2: 6_000, T4: 3_000, T5: 60_000 };

/** Page data the sender asks the driver's codec for. */
export interface PageRequest {
  index: number;
  encoding: Encoding;
  resolution: Resolution;
  width: PageWidth;
  /** Each coded row must last at least this long at `bps` (T.4 §4.1.3 fill); 0 with ECM. */
  minRowBits: number;
  /** T.4 end form: RTC after MH/MR pages, EOFB after MMR (T.6 §2.4). */
  ecm: boolean;
}

/** The document a sending engine transmits; the codec lives behind it, in the driver. */
export interface SendDocument {
  pageCount: number;
  /** The resolution all pages were scanned at. */
  resolution: Resolution;
  /** Coded page data, first transmitted bit in the most significant bit of each octet. */
  encodePage(req: PageRequest): Uint8Array;
  /**
   * Several documents in one call (a batch of faxes to one number): the indexes of the pages
   * that end a document other than the last. Their post-page command is EOM (PPS-EOM in ECM),
   * after which the call goes back to phase B (T.30 §5.3.2.5).
   */
  documentEnds?: readonly number[];
}

/** What the receiver learned about a page, for its quality verdict. */
export interface PageVerdict {
  rows: number;
  badRows: number;
  /**
   * Rows the data lost altogether (a noise burst destroys the EOLs between them, so the decoder
   * finds one bad row where there were many): they count against the copy quality too.
   */
  lostRows?: number;
}

export interface T30Config {
  /** 'send': the calling station sends a document; 'receive': the called station receives. */
  role: 'send' | 'receive';
  localId: string;
  ecm: boolean;
  modems: Array<Modulation['modem']>;
  encodings: Encoding[];
  resolutions?: Resolution[];
  document?: SendDocument;
  /** Sender: SUB to send when the receiver offers subaddressing (T.30 §5.3.6.2.6). */
  subaddress?: string;
  /** Sender: the highest rate (bit/s) to train at first, e.g. after this receiver refused faster ones before. */
  maxBps?: number;
  /** Sender: SID (password / sender identification) when the receiver offers it. */
  senderId?: string;
  /**
   * Receiver only: decodes a non-ECM page to decide MCF, RTP or RTN (T.30 §5.3.6.1.6 leaves
   * the threshold to the receiver).
   */
  judgePage?: (data: Uint8Array, params: SessionParams) => PageVerdict;
  /** ECM frame size to ask for (receiver, DIS bit 7) or to use (sender); default 256. */
  ecmFrameSize?: 64 | 256;
  /** Bad and lost rows above this share of a page earn RTN; default 5 %. */
  maxBadRowShare?: number;
  /** Test hook for the failure path: answer FTT to every TCF. */
  refuseTraining?: boolean;
}

export type T30Event =
  | { type: 'start' }
  /** An HDLC frame without its FCS; `ok` is false when the FCS was wrong. */
  | { type: 'hdlc'; frame: Uint8Array; ok: boolean; fast: boolean }
  /** Non-ECM data on the image modem: TCF or a page. */
  | { type: 'image-data'; data: Uint8Array }
  /** The image modem's carrier ended (T.38 t4-non-ecm-sig-end or no-signal). */
  | { type: 'image-end' }
  /** The driver finished transmitting everything asked so far. */
  | { type: 'sent' }
  | { type: 'timer'; name: TimerName }
  /** This side ends the call now (an operator cancelled the fax): DCN, T.30 §5.3.6.1.8. */
  | { type: 'abort' };

export type T30Action =
  /** HDLC frames in one transmission; `modulation` absent means V.21 300 bit/s. */
  | { type: 'send-hdlc'; frames: Uint8Array[]; modulation?: Modulation }
  /** T.30 §5.3.6.2.2 TCF: zeros for `ms` at the modulation. */
  | { type: 'send-tcf'; modulation: Modulation; ms: number }
  | { type: 'send-image'; modulation: Modulation; data: Uint8Array }
  | { type: 'start-timer'; name: TimerName; ms: number }
  | { type: 'stop-timer'; name: TimerName }
  /** Receiver: a complete page, data MSB-first as for SendDocument. */
  | { type: 'page-received'; index: number; params: SessionParams; data: Uint8Array }
  /**
   * Sender: the receiver confirmed page `index` (MCF, or PIP/RTP, after the post-page command:
   * T.30 §5.3.6.1.7; with ECM, the MCF after the page's last block, §A.4). `confirmed` counts
   * the pages confirmed in this call. The far machine prints what it confirmed, so the driver
   * records it at once: a call that dies after this never sends the page again.
   */
  | { type: 'page-confirmed'; index: number; confirmed: number }
  | { type: 'log'; text: string }
  | { type: 'call-ended'; result: T30Result };

export interface PageStats {
  index: number;
  encoding: Encoding;
  resolution: Resolution;
  width: PageWidth;
  length: PageLength;
  rate: string;
  bps: number;
  ecm: boolean;
  bytes: number;
  rows?: number;
  badRows?: number;
  /** ECM frames sent again after PPR, or non-ECM resends after RTN. */
  retransmissions: number;
}

/**
 * What a T.30 session ended with, as the engine saw it (completion code, pages, remote id). Line
 * drivers turn it into the line-driver contract's CallOutcome/CallResult for the node.
 */
export interface T30Result {
  code: CompletionCode;
  sentence: string;
  success: boolean;
  pages: PageStats[];
  remoteId: string;
  /** Receiver: the SUB and SID the caller sent, if any. */
  subaddress?: string;
  senderId?: string;
  /** The last negotiated rate, if training ever completed. */
  rate?: string;
  /** Sender: what the called station's DIS offered (T.30 §5.3.6.2.1), for destination memory. */
  remoteCapabilities?: Capabilities;
  /** Sender: rates (bit/s) the receiver answered TCF with FTT at (T.30 §5.3.6.1.4), in order. */
  trainingFailures?: number[];
}
