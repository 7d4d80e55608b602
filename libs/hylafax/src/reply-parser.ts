/** One complete server reply: its three-digit code and its text lines (code prefix removed). */
export interface Reply {
  code: number;
  lines: string[];
  /** The text of the last line: the one that carries the reply's meaning for single-line replies. */
  text: string;
}

/**
 * Sans-IO reader of the control connection: feed it bytes as they arrive and take out the
 * complete replies. hfaxd speaks RFC 959 §4.2: a reply is `ddd text` on one line, or starts with
 * `ddd-text` and runs until a line beginning `ddd ` with the same code.
 */
export class ReplyParser {
  #buffer = '';
  #pending: string[] = [];
  #pendingCode: number | undefined;
  #replies: Reply[] = [];

  /** Adds received bytes; hfaxd text is 8-bit, so latin1 keeps every byte as one character. */
  push(chunk: Buffer | string): void {
    this.#buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (;;) {
      const eol = this.#buffer.indexOf('\n');
      if (eol < 0) break;
      const line = this.#buffer.slice(0, eol).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(eol + 1);
      this.#line(line);
    }
  }

  /** Removes and returns the oldest complete reply, if any. */
  shift(): Reply | undefined {
    return this.#replies.shift();
  }

  #line(line: string): void {
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (this.#pendingCode === undefined) {
      if (!m) throw new SyntaxError(`not an RFC 959 reply line: ${JSON.stringify(line)}`);
      const code = Number(m[1]);
      if (m[2] === '-') {
        this.#pendingCode = code;
        this.#pending = [m[3]];
      } else {
        this.#replies.push({ code, lines: [m[3]], text: m[3] });
      }
      return;
    }
    // RFC 959 §4.2: inner lines of a multi-line reply may look like anything, even `ddd-...`;
    // only `ddd ` with the opening code ends the reply.
    if (m && Number(m[1]) === this.#pendingCode && m[2] === ' ') {
      this.#pending.push(m[3]);
      this.#replies.push({ code: this.#pendingCode, lines: this.#pending, text: m[3] });
      this.#pendingCode = undefined;
      this.#pending = [];
    } else {
      this.#pending.push(line);
    }
  }
}
