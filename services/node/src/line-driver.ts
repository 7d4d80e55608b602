import type { CallResult } from '@faxgate/store';

/** One outgoing fax call as a line driver sees it. */
export interface OutgoingCall {
  callId: string;
  number: string;
  dialString: string;
  /** The whole document (TIFF Class F); the driver sends pages fromPage..last. */
  document: Uint8Array;
  fromPage: number;
  line: string;
}

export interface CallOutcome {
  result: CallResult;
  /** Pages the receiver confirmed in this call. */
  pagesSent: number;
  remoteId?: string;
  durationMs: number;
  /** A sentence for the sender when the call did not succeed. */
  reason?: string;
}

/** A line technology (simulated, T.38, Class 1 modem): places a call and reports its outcome. */
export interface LineDriver {
  readonly name: string;
  send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome>;
}
