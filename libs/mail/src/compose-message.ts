import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailMessage } from './mailer.ts';

/**
 * A message as the RFC 5322 bytes an SMTP client would send, without sending it: what the REST
 * API stores so its faxes take the same render path as mailed ones. Nodemailer would read a
 * `path` or fetch an `href` given in an attachment: callers pass `content` buffers only.
 */
export async function composeMessage(message: MailMessage): Promise<Buffer> {
  return new MailComposer(message).compile().build();
}
