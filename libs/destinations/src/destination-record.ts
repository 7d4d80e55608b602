import type { CallResult, RemoteCapabilities } from '@faxgate/line-driver';

/**
 * What faxgate remembers about one remote number (HylaFAX's `info/` files in spirit): what the
 * far machine offered, what worked, what failed and when, and whether it is dialled at all.
 */
export interface DestinationRecord {
  /** E.164, as recipients carry it. */
  number: string;
  calls: number;
  firstCallAt?: string;
  lastCallAt?: string;
  lastResult?: CallResult;
  lastReason?: string;
  lastSuccessAt?: string;
  /** The far machine's CSI (T.30 §5.3.6.2.4), as last received. */
  csi?: string;
  /** What its last DIS offered (T.30 §5.3.6.2.1). */
  dis?: RemoteCapabilities['dis'];
  /** The page-data speed (bit/s) that last trained and carried pages. */
  lastGoodSpeed?: number;
  /** Calls whose TCF training failed, by bit rate: start lower next time. */
  trainingFailures?: Record<string, number>;
  /** Calls in which ECM had trouble (frames repeated until the engine gave up or fell back). */
  ecmTrouble?: number;
  /** Failed calls since the last success. */
  consecutiveFailures: number;
  /** When recent calls failed (newest last, at most MAX_FAILURE_TIMES). */
  failureTimes: string[];
  /** The last call answered without a fax tone (a voice line or a person). */
  noFaxToneAt?: string;
  /** Not dialled before this time, and why (set by the failure rule, or a voice answer). */
  heldUntil?: string;
  heldWhy?: string;
  /** An administrator blocked faxes to this number. */
  blocked?: { by: string; at: string; reason?: string };
}

/** When a number is held after failures (dispatch's FAXGATE_DESTINATION_* settings). */
export interface DestinationPolicy {
  /** Failed calls within `failureWindowMs` that hold the number; 0 turns the rule off. */
  maxFailures: number;
  failureWindowMs: number;
  /** How long a held number is not dialled. */
  holdMs: number;
}

/** What one finished call tells about its number. */
export interface CallObservation {
  /** The call's id: learning the same call twice (a job re-run) changes nothing. */
  callId: string;
  result: CallResult;
  reason?: string;
  pagesSent?: number;
  at: string;
  remote?: RemoteCapabilities;
}

export const MAX_FAILURE_TIMES = 50;
