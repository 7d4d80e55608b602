import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { BlobStore } from '@faxgate/store';

export type MailMessage = Mail.Options;

/**
 * The smarthost refused the mail itself with a 5xx reply (RFC 5321 §4.2.1: a permanent negative
 * completion; repeating the same mail gets the same answer), to the envelope (RCPT, MAIL) or to
 * the content (DATA). Retrying it twelve times only delays the report; the caller records it and
 * gives up, or sends it elsewhere. A refused login (535) is not one: that is the gateway's own
 * configuration, and the mail is retried once it is fixed.
 */
export class MailRefusedError extends Error {
  readonly responseCode: number;
  constructor(responseCode: number, response: string) {
    super(`the mail server refused the mail: ${response}`);
    this.name = 'MailRefusedError';
    this.responseCode = responseCode;
  }
}

/** Nodemailer's error for a refusal: a MailRefusedError when it is permanent, else as it was. */
function classify(err: unknown): unknown {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const code = e.responseCode;
  if (typeof code !== 'number' || code < 500 || code >= 600) return err;
  // RFC 5321 §4.5.3.1.10: a 552 to RCPT ("mailbox full") is to be treated as temporary.
  if (code === 552 && e.code === 'EENVELOPE') return err;
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') {
    return new MailRefusedError(code, (e.response ?? e.message ?? String(e.responseCode)).trim());
  }
  return err;
}
export interface SentMail { messageId: string; via: 'smarthost' | 'outbox'; location: string }

/**
 * Outgoing mail: through the smarthost when one is configured, otherwise written as .eml files
 * to the outbox directory (the single-machine default, where a local MTA or a person picks them
 * up). A failure throws, so the job that sends it is retried with backoff; a permanent refusal
 * throws MailRefusedError.
 */
export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

export function createMailer(opts: { smarthost?: string; outboxDir: string; timeoutMs?: number }): Mailer {
  if (opts.smarthost) {
    const url = new URL(opts.smarthost);
    const transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: opts.timeoutMs ?? 30_000,
      greetingTimeout: opts.timeoutMs ?? 30_000,
      socketTimeout: opts.timeoutMs ?? 60_000,
      // A smarthost on a private network often has a self-signed certificate; STARTTLS is
      // still used when offered. Set FAXGATE_SMARTHOST to smtps:// for implicit TLS.
      tls: { rejectUnauthorized: url.searchParams.get('tls') !== 'verify' ? false : true },
    });
    return {
      async send(message) {
        const info = await transport.sendMail(message).catch((err: unknown) => {
          throw classify(err);
        });
        return { messageId: info.messageId, via: 'smarthost', location: `${url.hostname}:${url.port}` };
      },
      close: () => transport.close(),
    };
  }
  const store = new BlobStore(opts.outboxDir);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const info = (await transport.sendMail(message)) as { messageId: string; message: Buffer };
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const key = `${stamp}-${info.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`;
      const location = await store.put(key, info.message);
      return { messageId: info.messageId, via: 'outbox', location };
    },
    close: () => transport.close(),
  };
}
