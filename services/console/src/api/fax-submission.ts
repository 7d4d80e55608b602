import { createHash } from 'node:crypto';
import { composeMessage } from '@faxgate/mail';
import { parseFaxNumber, type DialRules } from '@faxgate/phone';
import { newFaxId } from '@faxgate/queue';
import { blobKeys, type BlobStore, type FaxRecords, type SenderTrust } from '@faxgate/store';
import type { QueueSet } from '@faxgate/queue';
import { takeInMessage, MAX_HEADER_BYTES, type AcceptedRecipient } from '@faxgate/intake';
import { FaxgateError, describeError } from '@faxgate/errors';
import type { DestinationQuota } from '@faxgate/quotas';
import type { Principal } from './principal.ts';

/** Most bytes of documents one API fax may carry (decoded), as FAXGATE_SMTP_MAX_SIZE's default for mail. */
export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024;
/** Most documents in one fax. */
export const MAX_DOCUMENTS = 20;
/** Most numbers in one fax, as FAXGATE_SMTP_MAX_RECIPIENTS' default. */
export const MAX_NUMBERS = 100;
export const PRIORITIES = ['urgent', 'high', 'normal', 'low', 'bulk'] as const;

export interface SubmittedDocument {
  filename: string;
  contentType?: string;
  content: Buffer;
}

/** A fax as the API takes it, whether the request was JSON or multipart. */
export interface Submission {
  numbers: string[];
  documents: SubmittedDocument[];
  toName?: string;
  toCompany?: string;
  subject?: string;
  message?: string;
  /** `none`, or the name of a cover template (FAXGATE_COVER_TEMPLATE_DIR). */
  cover?: string;
  priority?: (typeof PRIORITIES)[number];
  /** ISO 8601 time before which the fax is not dialled. */
  sendAt?: string;
}

/** A request the API refuses: the HTTP status and every problem found. */
export class SubmissionError extends Error {
  readonly status: number;
  readonly problems: Array<{ field: string; problem: string; code?: string }>;
  constructor(status: number, problems: SubmissionError['problems']) {
    super(problems.map((p) => `${p.field}: ${p.problem}`).join('; '));
    this.status = status;
    this.problems = problems;
  }
}

export interface SubmitDeps {
  /** The toll-fraud brake of mail (FAXGATE_QUOTA_*_DESTINATIONS_PER_HOUR), applied to API faxes too. */
  destinations?: DestinationQuota;
  blobs: BlobStore;
  records: FaxRecords;
  queues: QueueSet;
  dialRules: DialRules;
  defaultCountry: string;
  /** Recipients get addresses in the first fax domain, as if mailed to `<number>@<domain>`. */
  faxDomain: string;
}

/**
 * Checks a submission as ingest checks a mail at RCPT: every number through the same dial rules
 * (refused numbers are 422 with the policy's reason), then the limits. Returns the accepted
 * recipients.
 */
export function checkSubmission(s: Submission, deps: Pick<SubmitDeps, 'dialRules' | 'defaultCountry' | 'faxDomain'>): AcceptedRecipient[] {
  const bad: SubmissionError['problems'] = [];
  const refused: SubmissionError['problems'] = [];
  if (s.numbers.length === 0) bad.push({ field: 'numbers', problem: 'at least one fax number' });
  if (s.numbers.length > MAX_NUMBERS) bad.push({ field: 'numbers', problem: `at most ${MAX_NUMBERS}` });
  if (s.documents.length === 0 && !s.message?.trim()) bad.push({ field: 'documents', problem: 'a document or a message' });
  if (s.documents.length > MAX_DOCUMENTS) bad.push({ field: 'documents', problem: `at most ${MAX_DOCUMENTS}` });
  const bytes = s.documents.reduce((n, d) => n + d.content.length, 0);
  if (bytes > MAX_DOCUMENT_BYTES) bad.push({ field: 'documents', problem: `${bytes} bytes; at most ${MAX_DOCUMENT_BYTES}` });
  s.documents.forEach((d, i) => {
    if (d.content.length === 0) bad.push({ field: `documents[${i}]`, problem: `${d.filename || 'the document'} is empty` });
  });
  for (const [field, value, max] of [['to_name', s.toName, 200], ['to_company', s.toCompany, 200], ['subject', s.subject, 998], ['message', s.message, 100_000]] as const) {
    if (value !== undefined && value.length > max) bad.push({ field, problem: `at most ${max} characters` });
  }
  if (s.cover !== undefined && !/^[A-Za-z0-9_-]{1,60}$/.test(s.cover)) bad.push({ field: 'cover', problem: '`none` or a cover template name (letters, digits, _ and -)' });
  if (s.priority !== undefined && !PRIORITIES.includes(s.priority)) bad.push({ field: 'priority', problem: PRIORITIES.join(', ') });
  if (s.sendAt !== undefined && Number.isNaN(Date.parse(s.sendAt))) bad.push({ field: 'send_at', problem: 'an ISO 8601 date and time' });
  if (bad.length) throw new SubmissionError(400, bad);
  const accepted: AcceptedRecipient[] = [];
  s.numbers.forEach((raw, i) => {
    const n = parseFaxNumber(raw, deps.defaultCountry, deps.dialRules);
    if (!n.ok) {
      const code = n.reason === 'denied' ? 'RCPT_NUMBER_DENIED' : 'RCPT_BAD_NUMBER';
      refused.push({ field: `numbers[${i}]`, problem: `${describeError(code)}: ${n.detail}`, code });
      return;
    }
    accepted.push({ address: `${n.e164.replace(/^\+/, '')}@${deps.faxDomain}`, number: n.e164, dialString: n.dialString });
  });
  if (refused.length) throw new SubmissionError(422, refused);
  return accepted;
}

/**
 * Turns a submission into the mail it stands for and hands it to the same intake as SMTP: the
 * documents become attachments, the cover fields the headers and body the renderer reads
 * (`To` display name, `Subject`, the text body as the cover message, `X-Fax-Cover`,
 * `X-Fax-Priority`, `X-Fax-Send-At`). From there it is rendered, dispatched and dialled like
 * any mailed fax. Only `content` buffers go into the message: nothing is fetched.
 */
export async function submitFax(s: Submission, recipients: AcceptedRecipient[], who: Principal & { clientAddress: string }, deps: SubmitDeps): Promise<string> {
  const fromAddress = who.email ?? `${who.user.replace(/[^A-Za-z0-9._+-]/g, '_')}@${deps.faxDomain}`;
  const raw = await composeMessage({
    from: { name: who.user, address: fromAddress },
    to: recipients.map((r) => (s.toName ? { name: s.toName, address: r.address } : r.address)),
    subject: s.subject ?? '',
    text: s.message ?? '',
    attachments: s.documents.map((d) => ({ filename: d.filename, content: d.content, ...(d.contentType ? { contentType: d.contentType } : {}) })),
    headers: {
      'X-Faxgate-Submitted-Via': who.tokenId ? `api token ${who.tokenId}` : 'api',
      ...(s.cover ? { 'X-Fax-Cover': s.cover } : {}),
      ...(s.toCompany ? { 'X-Fax-To-Company': s.toCompany } : {}),
      ...(s.priority ? { 'X-Fax-Priority': s.priority } : {}),
      ...(s.sendAt ? { 'X-Fax-Send-At': new Date(s.sendAt).toISOString() } : {}),
    },
  });
  return storeAndTakeIn(raw, { recipients, sender: who.email ?? '', authUser: who.user, clientAddress: who.clientAddress, senderTrust: 'authenticated' }, deps);
}

/**
 * Stores a message's bytes under a new fax id and hands it to the intake (record, render job):
 * a submitted fax, or a stored one sent again (resend).
 */
export async function storeAndTakeIn(
  raw: Buffer,
  meta: { faxId?: string; recipients: AcceptedRecipient[]; sender: string; authUser?: string; clientAddress: string; senderTrust: SenderTrust },
  deps: Pick<SubmitDeps, 'blobs' | 'records' | 'queues'>,
): Promise<string> {
  const faxId = meta.faxId ?? newFaxId();
  const messageKey = blobKeys.message(faxId);
  const writer = await deps.blobs.writer(messageKey);
  try {
    await writer.write(raw);
  } catch (err) {
    await writer.abort();
    throw new FaxgateError('STORE_FAILED', (err as Error).message);
  }
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  const head = end >= 0 && end <= MAX_HEADER_BYTES ? raw.subarray(0, end) : undefined;
  return takeInMessage(
    { faxId, messageKey, message: writer, head, sender: meta.sender, recipients: meta.recipients, clientAddress: meta.clientAddress, authUser: meta.authUser, senderTrust: meta.senderTrust },
    { records: deps.records, queues: deps.queues },
  );
}

/**
 * Admits each number under the destination quota of the sender (the token's mail address, else
 * its user), as ingest does at RCPT: a new number past the hour's limit is refused (429) with
 * the quota's sentence, before anything is stored. Numbers admitted before the refusal stay
 * counted, as recipients accepted earlier in an SMTP session do.
 */
export async function admitDestinations(recipients: AcceptedRecipient[], sender: string, quota: DestinationQuota | undefined): Promise<void> {
  if (!quota?.enabled) return;
  for (const [i, r] of recipients.entries()) {
    const verdict = await quota.admit(sender, r.number);
    if (!verdict.ok) throw new SubmissionError(429, [{ field: `numbers[${i}]`, problem: `${describeError('QUOTA_DESTINATIONS')}: ${verdict.detail}`, code: 'QUOTA_DESTINATIONS' }]);
  }
}

/** What makes two submissions the same request (an idempotency key reused with other content is refused). */
export function submissionFingerprint(s: Submission): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ ...s, documents: s.documents.map((d) => ({ f: d.filename, t: d.contentType, c: createHash('sha256').update(d.content).digest('hex') })) }));
  return h.digest('hex');
}
