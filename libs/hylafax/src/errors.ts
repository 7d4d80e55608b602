/**
 * Typed failures of the HylaFAX client. Every error says whether trying again later could help
 * (`transient`), so a caller can map it onto its retry policy without parsing messages.
 */

/** Base class: `code` is a stable identifier, `transient` tells whether a retry may succeed. */
export class HylafaxError extends Error {
  readonly code: string;
  readonly transient: boolean;
  constructor(code: string, message: string, transient: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HylafaxError';
    this.code = code;
    this.transient = transient;
  }
}

/** The server could not be reached, refused the connection, or dropped it mid-dialogue. */
export class HylafaxConnectionError extends HylafaxError {
  /** The socket error code when there was one (ECONNREFUSED, ECONNRESET, ...). */
  readonly socketCode: string | undefined;
  constructor(message: string, socketCode?: string, cause?: unknown) {
    super('HYLAFAX_CONNECTION', message, true, { cause });
    this.name = 'HylafaxConnectionError';
    this.socketCode = socketCode;
  }
}

/** A step of the dialogue (connect, a reply, a data transfer) did not finish in time. */
export class HylafaxTimeoutError extends HylafaxError {
  readonly step: string;
  readonly timeoutMs: number;
  constructor(step: string, timeoutMs: number) {
    super('HYLAFAX_TIMEOUT', `HylaFAX server did not answer ${step} within ${timeoutMs} ms`, true);
    this.name = 'HylafaxTimeoutError';
    this.step = step;
    this.timeoutMs = timeoutMs;
  }
}

/** USER/PASS (or ADMIN) was refused; `replyText` is what hfaxd said. Retrying will not help. */
export class HylafaxAuthError extends HylafaxError {
  readonly replyCode: number;
  readonly replyText: string;
  constructor(step: string, replyCode: number, replyText: string) {
    super('HYLAFAX_AUTH', `HylaFAX server refused ${step}: ${replyCode} ${replyText}`, false);
    this.name = 'HylafaxAuthError';
    this.replyCode = replyCode;
    this.replyText = replyText;
  }
}

/**
 * The server answered a command with an unexpected reply. `command` is the command as sent, with
 * secrets masked. RFC 959 §4.2: a 4yz reply is a transient negative completion, 5yz permanent.
 */
export class HylafaxProtocolError extends HylafaxError {
  readonly command: string;
  readonly replyCode: number;
  readonly replyText: string;
  constructor(command: string, replyCode: number, replyText: string) {
    // hfaxd 6.0.7 answers 504 "Job file lock failed: Resource temporarily unavailable" while faxq
    // still holds a job's file (it finishes a job a moment after doneq shows it): EAGAIN, so a
    // retry will succeed, whatever the 5yz code says.
    super('HYLAFAX_PROTOCOL', `HylaFAX server answered "${command}" with ${replyCode} ${replyText}`, (replyCode >= 400 && replyCode < 500) || /lock failed: Resource temporarily unavailable/i.test(replyText));
    this.name = 'HylafaxProtocolError';
    this.command = command;
    this.replyCode = replyCode;
    this.replyText = replyText;
  }
}

/** The server does not implement a command this operation needs (502), e.g. RNFR in hfaxd 6.0. */
export class HylafaxUnsupportedError extends HylafaxError {
  readonly command: string;
  readonly replyText: string;
  constructor(command: string, replyText: string) {
    super('HYLAFAX_UNSUPPORTED', `HylaFAX server does not implement "${command}": ${replyText}`, false);
    this.name = 'HylafaxUnsupportedError';
    this.command = command;
    this.replyText = replyText;
  }
}
