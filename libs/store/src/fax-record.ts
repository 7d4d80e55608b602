import type { CallResult, RemoteCapabilities } from '@faxgate/line-driver';

/** The state of a whole fax (one message, any number of recipients). */
export type FaxState = 'queued' | 'rendering' | 'rendered' | 'done' | 'failed' | 'cancelled';
/** The state of one recipient's transmission. */
/**
 * `held`: an operator held it, no call is queued until released; `cancelled`: an operator
 * cancelled it (final, like sent and failed).
 */
export type RecipientState = 'waiting' | 'calling' | 'retry-wait' | 'held' | 'sent' | 'failed' | 'cancelled';
/** Priority classes of a fax (X-Fax-Priority), highest first. */
export type FaxPriority = 'urgent' | 'high' | 'normal' | 'low' | 'bulk';

/** When and how urgently dispatch sends a fax, read once from the message's headers (issue 14). */
export interface FaxSchedule {
  priority: FaxPriority;
  /** X-Fax-Send-At: no call before this time. */
  sendAt?: string;
  /** X-Fax-Kill-Time or FAXGATE_DISPATCH_KILL_AFTER: a recipient not sent by then is given up (HylaFAX killtime). */
  killAt?: string;
  /** Header values that could not be read, each as a sentence (the fax goes on with the default). */
  notes?: string[];
}
/** How the sender of a fax was accepted (see FaxRecord.senderTrust). */
export type SenderTrust = 'authenticated' | 'client-network' | 'unverified';

export interface FaxRecord {
  /** Schema version that wrote the record (RECORD_SCHEMA_VERSION); absent: version 0. */
  v?: number;
  id: string;
  state: FaxState;
  createdAt: string;
  /** Envelope sender (MAIL FROM); result mails go there. */
  sender: string;
  fromHeader?: string;
  subject?: string;
  /** Message-ID of the submitted mail, so result mails thread under it. */
  messageId?: string;
  clientAddress?: string;
  authUser?: string;
  /**
   * How ingest accepted the sender: authenticated (SMTP AUTH), from a client network the admin
   * listed, or unverified (FAXGATE_SMTP_CLIENT_NETWORKS=any). Result mails carry the fax only
   * to verified senders (docs/security.md).
   */
  senderTrust?: SenderTrust;
  messageKey: string;
  messageBytes: number;
  recipientCount: number;
  /** Pages of the document without the cover page. */
  documentPages?: number;
  /** Sentences about parts that could not be faxed (each is also a notice page). */
  notices?: string[];
  error?: { code: string; text: string };
  renderedAt?: string;
  finishedAt?: string;
  /** RFC 3461 §4.3/§4.4: the RET and ENVID the client gave with MAIL FROM, echoed in result mails. */
  dsn?: EnvelopeDsn;
  /**
   * The broadcast summary mail already sent, by its key (the outcome it reported): a re-run of
   * the job, or a second last recipient racing the first, sends nothing more.
   */
  summaryMailKey?: string;
  summaryMailSentAt?: string;
  /** The RFC 3464 "delayed" notice was sent (once per fax). */
  delayNoticeSentAt?: string;
  /** Priority, send-at and kill time, once dispatch has read them. */
  schedule?: FaxSchedule;
  /** Every recipient was cancelled, by whom. */
  cancelledBy?: string;
  /** A resubmitted copy: the fax it copies, and who resubmitted it. */
  resubmittedFrom?: string;
  resubmittedBy?: string;
  /** The stored message or rendered pages were deleted (retention or `faxgate purge`). */
  documentsPurgedAt?: string;
}

/** RFC 3461 §4.3 (RET) and §4.4 (ENVID), as given with MAIL FROM. */
export interface EnvelopeDsn {
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

/** RFC 3461 §4.1 NOTIFY values: NEVER alone, or any of the other three. */
export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface RecipientRecord {
  /** Schema version that wrote the record; absent: version 0. */
  v?: number;
  index: number;
  address: string;
  name?: string;
  number: string;
  dialString: string;
  state: RecipientState;
  pool?: string;
  documentKey?: string;
  pagesTotal?: number;
  pagesSent: number;
  attempts: number;
  /** Calls that reached a fax machine (HylaFAX's "tries"), as opposed to dials. */
  connectedAttempts: number;
  nextAttemptAt?: string;
  result?: CallResult;
  errorCode?: string;
  reason?: string;
  remoteId?: string;
  durationMs: number;
  finishedAt?: string;
  resultMailSentAt?: string;
  /** The smarthost refused the result mail for good (its 5xx reply): it is not tried again. */
  resultMailError?: string;
  /** RFC 3461 §4.1: which result mails the client asked for; absent = faxgate's own defaults. */
  notify?: DsnNotify[];
  /** RFC 3461 §4.2: the ORCPT parameter (`addr-type;address`, xtext decoded), echoed as Original-Recipient. */
  orcpt?: string;
  /** This recipient's outcome was reported in the broadcast summary rather than in its own mail. */
  reportedInSummary?: boolean;
  /** Cancelled (final): who did it and when. */
  cancelledBy?: string;
  cancelledAt?: string;
  /** Held by an operator: no next call until released. */
  heldBy?: string;
  heldAt?: string;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  endedAt?: string;
  result?: CallResult;
  fromPage: number;
  pagesSent?: number;
  remoteId?: string;
  /** The node's call slot; for a modem pool, the modem line that carried the call (CallOutcome.line). */
  line?: string;
  /** The device behind a modem line (its tty), and what the modem answered to its identity queries. */
  device?: string;
  deviceIdentity?: string;
  durationMs?: number;
  reason?: string;
  /**
   * The node running the call stopped mid-call (crash, kill, lost lock): the outcome was
   * written by the re-run of its job, with the pages confirmed before it stopped. Counts as a
   * dial, not as a failed transmission.
   */
  interrupted?: boolean;
  /**
   * The attempt went out inside another fax's call to the same number (batching, issue 14):
   * that call's id. Its pages and result are this fax's own share of the call.
   */
  batchedIn?: string;
  /** Set once dispatch has acted on this attempt's outcome. */
  handledAt?: string;
  /** What the call learned about the far machine (destination memory reads it). */
  remote?: RemoteCapabilities;
}

export interface TimelineEvent {
  at: string;
  event: string;
  recipient?: number;
  detail?: string;
}

export interface FaxView extends FaxRecord {
  recipients: Array<RecipientRecord & { attemptsDetail: AttemptRecord[] }>;
  timeline: TimelineEvent[];
}
