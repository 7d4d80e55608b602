import { blobKeys } from '@faxgate/store';
import type { JobData } from '@faxgate/queue';
import { mailDomain, type GuardedMailer } from './delivered-mails.ts';
import type { RoleContext } from '@faxgate/runtime';

/**
 * postmaster-mail: a mail to postmaster@ a fax domain (RFC 5321 §4.5.1), forwarded to the admin
 * (FAXGATE_POSTMASTER) attached whole, so nothing the sender wrote is sent in the gateway's own
 * headers. Without an admin address it stays where ingest stored it, as an .eml file in
 * $FAXGATE_DATA_DIR/postmaster/. A forwarded mail's file is removed; a re-run finds none and
 * sends nothing twice.
 */
export function createPostmasterForwarder(ctx: RoleContext, from: string, admin: string | undefined, mailer: GuardedMailer) {
  return async ({ postmasterId }: JobData<'postmaster-mail'>) => {
    const key = blobKeys.postmasterMail(postmasterId);
    if (!admin) {
      ctx.log.warn({ postmasterId, file: ctx.blobs.path(key) }, 'mail to postmaster kept as a file: set FAXGATE_POSTMASTER to have it forwarded');
      return { kept: ctx.blobs.path(key) };
    }
    if (!(await ctx.blobs.exists(key))) return { skipped: 'already forwarded' };
    const raw = await ctx.blobs.get(key);
    const sent = await mailer.send({
      // The same on a re-run: the record of deliveries knows it by this id.
      messageId: `<postmaster-${postmasterId}@${mailDomain(from)}>`,
      from,
      to: admin,
      subject: `Mail to postmaster of the fax gateway (${postmasterId})`,
      text: 'A mail to postmaster@ of the fax gateway arrived; it is attached as it was received.\n',
      headers: { 'Auto-Submitted': 'auto-forwarded', 'X-Faxgate-Postmaster-Id': postmasterId },
      attachments: [{ filename: `${postmasterId}.eml`, content: raw, contentType: 'message/rfc822', contentDisposition: 'attachment' }],
    });
    await ctx.blobs.delete(key);
    ctx.log.info({ postmasterId, to: admin, via: sent.via }, 'mail to postmaster forwarded');
    return { messageId: sent.messageId, via: sent.via };
  };
}
