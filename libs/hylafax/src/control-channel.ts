import { connect, type Socket } from 'node:net';
import { HylafaxConnectionError, HylafaxTimeoutError } from './errors.ts';
import { ReplyParser, type Reply } from './reply-parser.ts';

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: Error): void;
}

/**
 * The control connection of the HylaFAX client protocol (an RFC 959 dialogue on TCP 4559): one
 * command line out, one reply back. Every wait has a deadline; once one expires or the socket
 * fails, the channel is dead, because the dialogue is no longer in a known state.
 */
export class ControlChannel {
  readonly host: string;
  readonly port: number;
  #socket: Socket;
  #parser = new ReplyParser();
  #waiters: Waiter[] = [];
  #early: Reply[] = [];
  #failure: Error | undefined;

  private constructor(socket: Socket, host: string, port: number) {
    this.#socket = socket;
    this.host = host;
    this.port = port;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#parser.push(chunk);
      } catch (err) {
        this.#fail(new HylafaxConnectionError(`HylaFAX server at ${host}:${port} sent a malformed reply: ${(err as Error).message}`));
        return;
      }
      for (let r = this.#parser.shift(); r; r = this.#parser.shift()) {
        const w = this.#waiters.shift();
        if (w) {
          w.resolve(r);
        } else if (r.code === 421) {
          // RFC 959 §4.2: 421 may come at any time, when the server is about to close.
          this.#fail(new HylafaxConnectionError(`HylaFAX server at ${host}:${port} is closing the connection: ${r.code} ${r.text}`));
        } else {
          // The end of a transfer (226) can overtake the end of its data connection; it is
          // kept for the readReply that follows the data.
          this.#early.push(r);
        }
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#fail(new HylafaxConnectionError(`connection to HylaFAX server at ${host}:${port} failed: ${err.message}`, err.code, err));
    });
    socket.on('close', () => {
      this.#fail(new HylafaxConnectionError(`HylaFAX server at ${host}:${port} closed the connection`));
    });
  }

  /** Opens the TCP connection; fails with a connection error (refused, unreachable) or a timeout. */
  static open(host: string, port: number, timeoutMs: number): Promise<ControlChannel> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HylafaxTimeoutError(`a connection to ${host}:${port}`, timeoutMs));
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new HylafaxConnectionError(`cannot connect to HylaFAX server at ${host}:${port}: ${err.code ?? err.message}`, err.code, err));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(new ControlChannel(socket, host, port));
      });
    });
  }

  /** True until the connection failed, timed out or was closed. */
  get alive(): boolean {
    return this.#failure === undefined;
  }

  /** The address the control connection reached, for the passive data connection. */
  /** Our end of the control connection: where the server can reach us for an active transfer. */
  get localAddress(): string {
    return this.#socket.localAddress ?? '127.0.0.1';
  }

  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? this.host;
  }

  /** Waits for the next reply (the greeting, or the second reply of a data transfer). */
  readReply(step: string, timeoutMs: number): Promise<Reply> {
    const early = this.#early.shift();
    if (early) return Promise.resolve(early);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new HylafaxTimeoutError(step, timeoutMs);
        this.#fail(err);
      }, timeoutMs);
      this.#waiters.push({
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  /** Sends one command line and waits for its reply. `shown` names it in errors (secrets masked). */
  command(line: string, timeoutMs: number, shown: string = line): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (/[\r\n]/.test(line)) return Promise.reject(new TypeError(`a command line cannot contain CR or LF: ${shown}`));
    if (this.#early.length > 0) {
      // A reply that nobody read would be taken for this command's: the dialogue is out of step.
      const r = this.#early[0];
      this.#fail(new HylafaxConnectionError(`HylaFAX server at ${this.host}:${this.port} sent an unexpected reply: ${r.code} ${r.text}`));
      return Promise.reject(this.#failure);
    }
    const reply = this.readReply(`"${shown}"`, timeoutMs);
    this.#socket.write(`${line}\r\n`, 'latin1');
    return reply;
  }

  /** Closes the socket at once; pending waits fail with a connection error. */
  destroy(): void {
    this.#fail(new HylafaxConnectionError(`connection to HylaFAX server at ${this.host}:${this.port} was closed by the client`));
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#socket.destroy();
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }
}
