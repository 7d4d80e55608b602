import type { ByteLink } from './byte-link.ts';
import { DleDecoder, dleEncode } from './dle.ts';
import { finalResult, unsolicited, type FinalResult, type Unsolicited } from './result-codes.ts';

/** A command's outcome: its final result code and the information lines before it. */
export interface AtResponse {
  result: FinalResult;
  /** Information text lines (e.g. `0,1,1.0` for AT+FCLASS=?), echo and unsolicited lines removed. */
  lines: string[];
}

/** Data the DCE sent after CONNECT up to <DLE><ETX>, and the final result code that followed it. */
export interface ReceivedBlock {
  data: Uint8Array;
  /**
   * T.31 +FRH: OK when the frame's FCS was good, ERROR when it was bad; NO CARRIER when the
   * carrier dropped (then `data` may be empty or partial).
   */
  result: FinalResult;
}

export interface CommandOptions {
  /** How long to wait for the final result code; a command's own time, chosen by its caller. */
  timeoutMs?: number;
  /**
   * 'receive' when a CONNECT to this command starts data from the DCE (AT+FRH, AT+FRM, and ATD
   * in Class 1, which starts V.21 reception, T.31 §8.2); the bytes after CONNECT are then read
   * with `readData`, not parsed as lines.
   */
  onConnect?: 'receive' | 'transmit';
}

interface Waiter {
  label: string;
  /** The command text, to recognise its echo when the modem echoes (E1). */
  echo: string | undefined;
  lines: string[];
  onConnect: 'receive' | 'transmit' | undefined;
  resolve(r: AtResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface RxBlock {
  chunks: Uint8Array[];
  ended: boolean;
  result: FinalResult | undefined;
  waiter: { resolve(b: ReceivedBlock): void; reject(e: Error): void; timer: NodeJS.Timeout } | undefined;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const TRANSCRIPT_LIMIT = 300;
/** How long a resynchronisation waits for a late result after its CAN. */
const RESYNC_MS = 1_000;

/**
 * The AT command channel of one modem: one command at a time, final result codes, information
 * lines, unsolicited RING and caller ID, and the shielded data phases of ITU-T T.31 Class 1.
 * Every wait is bounded and its error carries the recent dialogue (`transcript()`).
 */
export class AtChannel {
  private mode: 'command' | 'receive' = 'command';
  private lineBuf = '';
  private skipLf = false;
  private waiter: Waiter | undefined;
  private rx: RxBlock | undefined;
  private readonly decoder = new DleDecoder();
  private readonly log: string[] = [];
  private readonly started = Date.now();
  private readonly listeners: ((u: Unsolicited) => void)[] = [];
  private closedReason: string | undefined;
  /** A wait timed out: the modem may still owe that command's result (see `command`). */
  private resync = false;

  private readonly link: ByteLink;

  constructor(link: ByteLink) {
    this.link = link;
    link.onData((d) => this.feed(d));
    link.onClose((err) => this.linkClosed(err));
  }

  /** Called for every RING and caller ID line, whether or not a command is pending. */
  onUnsolicited(listener: (u: Unsolicited) => void): void {
    this.listeners.push(listener);
  }

  /** The last few hundred lines of the dialogue, `>` to the modem and `<` from it, with ms since open. */
  transcript(): string {
    return this.log.join('\n');
  }

  /** True once the device went away; every later command fails at once with the reason. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Sends `text` + CR and waits for its final result code. After an earlier wait timed out, the
   * modem may still be executing that command (a +FRH/+FRM waiting for carrier): the next
   * command's first character would abort it and the abort's OK would pass for the new
   * command's answer. So the channel first resynchronises: CAN, and any result within
   * RESYNC_MS is dropped.
   */
  async command(text: string, options: CommandOptions = {}): Promise<AtResponse> {
    if (this.resync) await this.resynchronise();
    const p = this.expect(text, text, options);
    this.note(`> ${text}`);
    this.link.write(new TextEncoder().encode(`${text}\r`));
    return p;
  }

  /**
   * Waits for the next final result code without sending anything: after data written in a
   * transmit phase (T.31 +FTH: CONNECT for the next frame, OK after the final one), or after ATA.
   */
  awaitResult(label: string, options: CommandOptions = {}): Promise<AtResponse> {
    return this.expect(label, undefined, options);
  }

  /**
   * Aborts a pending AT+FRH/AT+FRM that is still waiting for a carrier (T.31: any character from
   * the DTE ends the wait, the DCE answers OK to that command). The DTE's T.30 timers decide
   * when: a DCE need not report that the far end is gone (iaxmodem does not). CAN (0x18) is
   * sent, a character no command starts with.
   */
  abort(): void {
    if (this.closedReason) throw new Error(`modem device closed: ${this.closedReason}`);
    if (!this.waiter) throw new Error('abort: no command is waiting');
    this.note(`> [CAN] (abort ${this.waiter.label})`);
    this.link.write(Uint8Array.of(0x18));
  }

  /** Writes data in a transmit phase, DLE-shielded, ended by <DLE><ETX> when `end` is true. */
  writeData(data: Uint8Array, end = true): void {
    if (this.closedReason) throw new Error(`modem device closed: ${this.closedReason}`);
    this.note(`> [data ${data.length} octets${end ? ' + DLE ETX' : ''}] ${hex(data)}`);
    this.link.write(dleEncode(data, end));
  }

  /**
   * Reads the data of a receive phase (after CONNECT to a command with `onConnect: 'receive'`)
   * up to <DLE><ETX>, and the final result code that follows it.
   */
  readData(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ReceivedBlock> {
    const rx = this.rx;
    if (!rx) return Promise.reject(new Error('readData: no receive phase was started (no CONNECT to a receive command)'));
    if (rx.result !== undefined) {
      this.rx = undefined;
      return Promise.resolve({ data: concat(rx.chunks), result: rx.result });
    }
    if (this.closedReason) return Promise.reject(new Error(`modem device closed: ${this.closedReason}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        rx.waiter = undefined;
        this.resync = true;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${rx.ended ? 'the result code after <DLE><ETX>' : '<DLE><ETX>'} (${concat(rx.chunks).length} octets so far); dialogue:\n${this.transcript()}`));
      }, timeoutMs);
      rx.waiter = { resolve, reject, timer };
    });
  }

  private async resynchronise(): Promise<void> {
    this.resync = false;
    if (this.closedReason || this.waiter) return;
    if (this.mode === 'receive') {
      this.mode = 'command';
      this.decoder.reset();
      this.rx = undefined;
    }
    const late = this.expect('the late result of the command that timed out (resynchronising)', undefined, { timeoutMs: RESYNC_MS }, true);
    this.note('> [CAN] (resynchronise after a timeout)');
    this.link.write(Uint8Array.of(0x18));
    await late.then(
      (r) => this.note(`  (dropped the late ${r.result})`),
      () => this.note(`  (no late result within ${RESYNC_MS} ms)`),
    );
  }

  private expect(label: string, echo: string | undefined, options: CommandOptions, internal = false): Promise<AtResponse> {
    if (this.closedReason) return Promise.reject(new Error(`modem device closed: ${this.closedReason}`));
    if (this.waiter) return Promise.reject(new Error(`AT channel busy: "${this.waiter.label}" is still waiting for its result`));
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        if (!internal) this.resync = true;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the result of ${label}; dialogue:\n${this.transcript()}`));
      }, timeoutMs);
      this.waiter = { label, echo: echo?.trim().toUpperCase(), lines: [], onConnect: options.onConnect, resolve, reject, timer };
    });
  }

  private feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.mode === 'receive') {
        let part = chunk.subarray(i);
        if (this.skipLf) {
          this.skipLf = false;
          if (part[0] === 0x0a) part = part.subarray(1);
        }
        const d = this.decoder.push(part);
        if (this.rx && d.data.length > 0) this.rx.chunks.push(d.data);
        if (!d.ended) return;
        if (this.rx) {
          this.rx.ended = true;
          this.note(`< [data ${concat(this.rx.chunks).length} octets + DLE ETX] ${hex(concat(this.rx.chunks))}`);
        }
        this.mode = 'command';
        this.decoder.reset();
        chunk = d.rest;
        i = 0;
        continue;
      }
      const b = chunk[i++];
      if (b === 0x0d || b === 0x0a) {
        if (this.lineBuf.length > 0) {
          const line = this.lineBuf;
          this.lineBuf = '';
          // A CONNECT that starts a receive phase switches the rest of this chunk to data; the
          // LF of its <CR><LF> is not data.
          if (this.line(line)) this.skipLf = b === 0x0d;
        }
        continue;
      }
      this.lineBuf += String.fromCharCode(b);
    }
  }

  /** Handles one line; true when it was a CONNECT that started a receive phase. */
  private line(line: string): boolean {
    const w = this.waiter;
    if (w?.echo !== undefined && line.trim().toUpperCase() === w.echo) {
      this.note(`< (echo) ${line}`);
      return false;
    }
    this.note(`< ${line}`);
    const u = unsolicited(line);
    if (u) {
      for (const l of this.listeners) l(u);
      return false;
    }
    const result = finalResult(line);
    if (result === undefined) {
      w?.lines.push(line);
      return false;
    }
    if (w) {
      clearTimeout(w.timer);
      this.waiter = undefined;
      if (result === 'CONNECT' && w.onConnect === 'receive') {
        this.mode = 'receive';
        this.rx = { chunks: [], ended: false, result: undefined, waiter: undefined };
      }
      w.resolve({ result, lines: w.lines });
      return this.mode === 'receive';
    }
    const rx = this.rx;
    if (rx?.ended && rx.result === undefined) {
      rx.result = result;
      if (rx.waiter) {
        clearTimeout(rx.waiter.timer);
        this.rx = undefined;
        rx.waiter.resolve({ data: concat(rx.chunks), result });
      }
      return false;
    }
    this.note(`  (no command was waiting for ${result})`);
    // The result a timed-out command still owed has come: nothing left to resynchronise.
    this.resync = false;
    return false;
  }

  private linkClosed(err?: Error): void {
    this.closedReason = err?.message ?? 'closed';
    this.note(`  (device closed: ${this.closedReason})`);
    const e = new Error(`modem device closed: ${this.closedReason}; dialogue:\n${this.transcript()}`);
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.reject(e);
      this.waiter = undefined;
    }
    if (this.rx?.waiter) {
      clearTimeout(this.rx.waiter.timer);
      this.rx.waiter.reject(e);
      this.rx = undefined;
    }
  }

  private note(entry: string): void {
    this.log.push(`${String(Date.now() - this.started).padStart(7)} ms ${entry}`);
    if (this.log.length > TRANSCRIPT_LIMIT) this.log.shift();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function hex(data: Uint8Array): string {
  const shown = Buffer.from(data.subarray(0, 48)).toString('hex');
  return data.length > 48 ? `${shown}…` : shown;
}
