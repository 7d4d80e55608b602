/** Where a received fax is in its life: offered to a line, received, routed, delivered. */
export type InboundState = 'offered' | 'receiving' | 'received' | 'routed' | 'delivered' | 'failed';
/** Which directory rule picked the owner of a received fax. */
export type RouteRuleKind = 'did' | 'sub-address' | 'calling-number' | 'csid' | 'line' | 'unaddressed';
export type DeliveryFormat = 'pdf' | 'tiff' | 'both';
export type DeliveryState = 'pending' | 'sent' | 'failed';

/** A received fax: the call as the line reported it, and where it went. */
export interface InboundRecord {
  /** Schema version that wrote the record (RECORD_SCHEMA_VERSION); absent: version 0. */
  v?: number;
  id: string;
  state: InboundState;
  /** When the call was offered (sim) or answered (a real line). */
  createdAt: string;
  receivedAt?: string;
  /** Called number (DID) as the line delivered it. */
  did: string;
  callingNumber: string;
  /** Caller name where the line delivered one (a modem's caller ID NAME). */
  callingName?: string;
  /** Remote station id (T.30 TSI, "CSID" in most fax software). */
  csid?: string;
  /** T.30 sub-address (SUB frame). */
  subAddress?: string;
  pool: string;
  line?: string;
  /** The device behind a modem line (its tty), and what the modem answered to its identity queries. */
  device?: string;
  deviceIdentity?: string;
  pages: number;
  /** Rows the receiver had to repair (T.4 §4.1.4: a row with a coding error is replaced). */
  badRows: number;
  /** The call ended before the sender said it was finished: the pages received are kept. */
  partial: boolean;
  /** Why the call ended early, or failed. */
  reason?: string;
  durationMs: number;
  /** Blob key of the received TIFF Class F. */
  documentKey?: string;
  route?: { rule: RouteRuleKind; detail: string; user?: string };
  routedAt?: string;
  /** The unaddressed mailbox when the fax was routed: where a delivery that fails for good goes. */
  fallbackTo?: string[];
  deliveryCount: number;
  finishedAt?: string;
  /** The received TIFF was deleted (retention or `faxgate purge`). */
  documentPurgedAt?: string;
}

/** One mail of a received fax: to a user's addresses, or to the unaddressed mailbox. */
export interface DeliveryRecord {
  index: number;
  user?: string;
  to: string[];
  format: DeliveryFormat;
  state: DeliveryState;
  attempts: number;
  /** Set on the unaddressed delivery made because delivery `fallbackFor` failed for good. */
  fallbackFor?: number;
  sentAt?: string;
  messageId?: string;
  error?: string;
}

export interface InboundTimelineEvent {
  at: string;
  event: string;
  detail?: string;
}

export interface InboundView extends InboundRecord {
  deliveries: DeliveryRecord[];
  timeline: InboundTimelineEvent[];
}

/** Where received faxes live in the blob store. */
export const inboundBlobKeys = {
  /** The TIFF Class F as received from the line. */
  document: (id: string) => `inbound/${id}.tif`,
  /** What a simulated remote machine sends (faxgate sim receive). */
  simOffer: (id: string) => `inbound/${id}-offer.tif`,
};
