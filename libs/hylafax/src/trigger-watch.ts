import type { Socket } from 'node:net';

/**
 * One event hfaxd relays from faxq for a `SITE TRIGGER` registration (faxwatch(8)): a line such
 * as `025012 151 MODEM ttyA: Marked ready` — time of day, the trigger event number (151 is
 * MODEM_READY in faxwatch(8)'s table), the class, the job or modem id, then faxq's text.
 */
export interface TriggerEvent {
  time: string;
  event: number;
  kind: string;
  id: string;
  /** For job events, faxq's parenthesised summary (`dest 5550120 pri 127 com 000000001`). */
  detail?: string;
  text: string;
  line: string;
}

const EVENT_LINE = /^(\d{6}) (\d{3}) ([A-Z]+) (\S+?)(?: \(([^)]*)\))?: (.*)$/;

/** Parses one event line; undefined for a line of another shape (kept in `lines` all the same). */
export function parseTriggerEvent(line: string): TriggerEvent | undefined {
  const m = EVENT_LINE.exec(line);
  if (!m) return undefined;
  const event: TriggerEvent = { time: m[1], event: Number(m[2]), kind: m[3], id: m[4], text: m[6], line };
  if (m[5] !== undefined) event.detail = m[5];
  return event;
}

/**
 * faxq's own view of modems and jobs, as it announces changes through hfaxd's trigger mechanism.
 * The status files under `status/` are written by faxgetty and can say "Running and idle" while
 * faxq still holds the modem as busy or unknown; only these events say what the scheduler
 * believes. A watch holds its own hfaxd session until closed.
 */
export class TriggerWatch {
  readonly events: TriggerEvent[] = [];
  readonly lines: string[] = [];
  #socket: Socket;
  #partial = '';
  #waiters = new Set<() => void>();
  #listeners: Array<(line: string) => void> = [];
  #onClose: () => void;

  constructor(socket: Socket, onClose: () => void) {
    this.#socket = socket;
    this.#onClose = onClose;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split(/\r?\n/);
      this.#partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line) continue;
        this.lines.push(line);
        const ev = parseTriggerEvent(line);
        if (ev) this.events.push(ev);
        for (const l of this.#listeners) l(line);
      }
      for (const w of this.#waiters) w();
    });
    socket.on('close', () => {
      for (const w of this.#waiters) w();
    });
  }

  /** Calls `listener` with every line from now on (for a log of faxq's view). */
  onLine(listener: (line: string) => void): void {
    this.#listeners.push(listener);
  }

  get open(): boolean {
    return !this.#socket.destroyed;
  }

  /**
   * Resolves with the first event (seen since `from`, an index into `events`) that `match`
   * accepts; rejects after `timeoutMs` or when the watch closes, naming what it waited for and
   * every line it saw.
   */
  waitFor(what: string, match: (e: TriggerEvent) => boolean, timeoutMs: number, from = 0): Promise<TriggerEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.slice(from).find(match);
        if (hit) {
          done();
          resolve(hit);
          return true;
        }
        if (!this.open) {
          done();
          reject(new Error(`the trigger watch closed while waiting for ${what}; events seen:\n${this.lines.join('\n')}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what} was not announced by faxq within ${timeoutMs} ms; events seen:\n${this.lines.join('\n') || '(none)'}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (!check()) this.#waiters.add(waiter);
    });
  }

  /** Ends the registration and the session that carried it. */
  close(): void {
    this.#socket.destroy();
    this.#onClose();
  }
}
