import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { BlobStore } from '@faxgate/store';

export type MailMessage = Mail.Options;
export interface SentMail { messageId: string; via: 'smarthost' | 'outbox'; location: string }

/**
 * Outgoing mail: through the smarthost when one is configured, otherwise written as .eml files
 * to the outbox directory (the single-machine default, where a local MTA or a person picks them
 * up). A failure throws, so the job that sends it is retried with backoff.
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
        const info = await transport.sendMail(message);
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
