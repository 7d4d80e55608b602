import type { FaxRecord } from '@faxgate/store';

/** What a result mail may carry: everything, a plain notice, or nothing at all. */
export type ResultMailContent = 'full' | 'notice' | 'none';

export interface ResultMailPolicy {
  /** Sender domains whose result mails carry the fax even when ingest could not verify the sender. */
  trustedDomains: string[];
  /** What an unverified sender gets: a plain notice without the fax, or no mail. */
  unverified: 'notice' | 'none';
}

/**
 * Result mails go to the envelope sender, which anyone can write: a mail with someone else's
 * address as sender and a page of the attacker's choosing would come back to that someone as a
 * PDF from a trusted gateway (backscatter). Only senders ingest verified (SMTP AUTH, or a
 * client network the admin listed) or of a domain the admin lists get the fax and the words
 * the sender wrote (subject, names, file names); others get a plain notice, or nothing.
 */
export function resultMailContent(fax: Pick<FaxRecord, 'sender' | 'senderTrust' | 'authUser'>, policy: ResultMailPolicy): { content: ResultMailContent; why: string } {
  // Records written before ingest recorded the trust: an authenticated user is still known.
  const trust = fax.senderTrust ?? (fax.authUser ? 'authenticated' : 'unverified');
  if (trust === 'authenticated') return { content: 'full', why: 'the sender authenticated' };
  if (trust === 'client-network') return { content: 'full', why: 'the sender came from a client network' };
  const domain = fax.sender.slice(fax.sender.lastIndexOf('@') + 1).toLowerCase();
  if (domain && policy.trustedDomains.some((d) => d.toLowerCase().replace(/^@/, '') === domain)) return { content: 'full', why: `${domain} is a trusted sender domain` };
  return { content: policy.unverified, why: 'the sender was not verified (no AUTH, not from a client network, domain not listed)' };
}
