import { createConnection, type Socket } from 'node:net';
import type { SmtpReply } from './smtp-dialogue.ts';

/**
 * An SMTP client connection a test drives step by step: send a command and read its reply,
 * stream a DATA body of any size from a generator (with the socket's backpressure, so the test
 * itself holds one chunk at a time), or drip bytes slowly. Every wait is bounded and names what
 * it waited for; `closed` resolves when the server closes the connection.
 */
export class SmtpSession {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  private buffer = '';
  private readonly ready: SmtpReply[] = [];
  private readonly pending: Array<(r: SmtpReply) => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (;;) {
        const m = /^(?:\d{3}-[^\n]*\n)*(\d{3}) ([^\n]*)\n/.exec(this.buffer);
        if (!m) break;
        this.buffer = this.buffer.slice(m[0].length);
        const reply = { code: Number(m[1]), text: m[0].trim() };
        const waiter = this.pending.shift();
        if (waiter) waiter(reply);
        else this.ready.push(reply);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects and returns the session with the greeting read. */
  static async open(port: number, host = '127.0.0.1'): Promise<{ session: SmtpSession; greeting: SmtpReply }> {
    const socket = createConnection({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const session = new SmtpSession(socket);
    return { session, greeting: await session.reply('the greeting') };
  }

  /** The next reply, waiting at most `timeoutMs`. */
  reply(what = 'a reply', timeoutMs = 20_000): Promise<SmtpReply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no SMTP reply (${what}) within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }

  async command(line: string, timeoutMs?: number): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.reply(line.split(' ')[0], timeoutMs);
  }

  /** Writes chunks as fast as the server takes them (waits for 'drain'); stops early if the socket closes. */
  async stream(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
    let sent = 0;
    for await (const c of chunks) {
      if (this.socket.destroyed || !this.socket.writable) break;
      sent += c.length;
      if (!this.socket.write(c)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
    return sent;
  }

  /** Waits up to `timeoutMs` for the server to close the connection; false if it did not. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (t = setTimeout(() => r(false), timeoutMs)));
    const r = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(t);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}
