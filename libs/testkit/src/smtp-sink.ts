import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail { from: string; to: string[]; raw: Buffer; parsed: ParsedMail }

export interface SmtpSink {
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the first mail (already received or still to come) that matches. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Refuse every message with this reply until set to undefined (to test delivery retries). */
  failWith: { code: number; message: string } | undefined;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free loopback port that keeps every message it receives: the
 * smarthost of the tests, where result mails and received faxes must arrive.
 */
export async function startSmtpSink(opts: { user?: string; password?: string } = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }> = [];
  const sink: Partial<SmtpSink> = { mails, failWith: undefined };
  const server = new SMTPServer({
    authOptional: !opts.user,
    disabledCommands: opts.user ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if (sink.failWith) {
          const err = new Error(sink.failWith.message) as Error & { responseCode: number };
          err.responseCode = sink.failWith.code;
          return cb(err);
        }
        const raw = Buffer.concat(chunks);
        const m: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
        };
        mails.push(m);
        for (const w of [...waiters]) if (w.match(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
        cb();
      });
    },
  });
  // A client that dies mid-session (a notifier killed by a chaos test) resets its connection:
  // that is the client's failure, not the sink's, and must not crash the test process.
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  const cred = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.password ?? '')}@` : '';
  return Object.assign(sink, {
    port,
    url: `smtp://${cred}127.0.0.1:${port}`,
    waitFor(match: (m: ReceivedMail) => boolean, timeoutMs = 60_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const w = { match, resolve: (m: ReceivedMail) => { clearTimeout(t); resolve(m); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching mail within ${timeoutMs} ms (received ${mails.length}: ${mails.map((m) => m.parsed.subject).join(' | ')})`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as SmtpSink;
}
