import nodemailer from 'nodemailer';

/**
 * Mails a fax to a gateway's SMTP port as a mail client does and returns the fax id from the
 * 250 reply ("queued as fx…"); a reply without one fails with the reply in the message.
 */
export async function mailFax(smtpPort: number, mail: { from?: string; to: string; subject: string; text?: string; pdf?: Buffer }): Promise<string> {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true }).sendMail({
    from: mail.from ?? 'ops@example.com',
    to: mail.to,
    subject: mail.subject,
    text: mail.text ?? 'x',
    attachments: mail.pdf ? [{ filename: 'd.pdf', content: mail.pdf }] : [],
  });
  const id = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  if (!id) throw new Error(`no fax id in the reply "${info.response}"`);
  return id;
}
