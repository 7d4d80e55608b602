import { rm } from 'node:fs/promises';
import { simpleParser, type AddressObject } from 'mailparser';
import { FaxRecords, type BlobWriter, type RecipientRecord } from '@faxgate/store';
import { JOBS, type QueueSet } from '@faxgate/queue';
import { FaxgateError } from '@faxgate/errors';
import type { DsnNotify, EnvelopeDsn, SenderTrust } from '@faxgate/store';

/** The most header bytes kept for parsing; mailparser itself refuses a header section over 1 MiB. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface AcceptedRecipient {
  address: string;
  number: string;
  dialString: string;
  /** RFC 3461 §4.1 NOTIFY and §4.2 ORCPT of this RCPT, when the client gave them. */
  notify?: DsnNotify[];
  orcpt?: string;
}

/** Longest subject kept in the fax record (result mails, console); the cover page cuts it again. */
export const MAX_SUBJECT_CHARS = 998;
/** Longest display name or From header kept (a recipient's name goes on the cover and into the result mail's subject). */
export const MAX_NAME_CHARS = 200;

export interface IntakeInput {
  faxId: string;
  /** Key the message is stored under, and its writer (already holding every byte). */
  messageKey: string;
  message: BlobWriter;
  /** The header section, undefined when it had no end within the header limit. */
  head: Buffer | undefined;
  sender: string;
  recipients: AcceptedRecipient[];
  clientAddress: string;
  authUser?: string;
  /** How the sender was accepted: decides what result mails may carry. */
  senderTrust: SenderTrust;
  /** RFC 3461 §4.3 RET and §4.4 ENVID of MAIL FROM, when the client gave them. */
  dsn?: EnvelopeDsn;
}

export interface IntakeDeps {
  records: FaxRecords;
  queues: QueueSet;
  /**
   * When a recipient asked for NOTIFY=DELAY, the "still trying" notice is queued this long
   * after acceptance (Postfix delay_warning_time); 0 or absent: no delay notices.
   */
  delayWarningMs?: number;
}

/**
 * Makes an accepted message durable (whoever accepted it: the SMTP server, the REST API): the streamed message committed, the fax record created
 * and the render job queued, in that order. Only when all three succeeded may the SMTP server
 * answer 250; on any failure what was written is removed again. A header section that cannot
 * be parsed is permanent (554: a sender retries a 451 for days); the others are 451.
 */
export async function takeInMessage(input: IntakeInput, deps: IntakeDeps): Promise<string> {
  const { faxId, messageKey } = input;
  let headers: Awaited<ReturnType<typeof parseHeaders>>;
  try {
    if (!input.head) throw new Error(`the header section has no end within its first ${Math.round(MAX_HEADER_BYTES / 1024)} KiB`);
    headers = await parseHeaders(input.head);
  } catch (err) {
    await input.message.abort();
    throw new FaxgateError('MESSAGE_UNPARSABLE', (err as Error).message);
  }
  // The message's directory fsync (its name's durability) runs while the record and the job
  // go to Redis; the 250 waits for both (issue 18).
  const { placed, durable } = input.message.commitInStages();
  durable.catch(() => {}); // awaited below, once Redis has answered; not unhandled when Redis fails first
  try {
    await placed;
  } catch (err) {
    await input.message.abort();
    throw new FaxgateError('STORE_FAILED', (err as Error).message);
  }
  const recipients: RecipientRecord[] = uniqueRecipients(input.recipients).map((r, index) => ({
    index,
    address: r.address,
    name: optionalTruncate(headers.names.get(r.address.toLowerCase()), MAX_NAME_CHARS),
    number: r.number,
    dialString: r.dialString,
    state: 'waiting',
    pagesSent: 0,
    attempts: 0,
    connectedAttempts: 0,
    durationMs: 0,
    ...(r.notify?.length ? { notify: r.notify } : {}),
    ...(r.orcpt ? { orcpt: r.orcpt } : {}),
  }));
  // The record and the job(s) go out back to back, one round trip instead of two (issue 18).
  // They share one Redis connection (the request connection, FaxRecords' and QueueSet's), and
  // create() writes its MULTI before its first await while BullMQ's add reaches the socket only
  // after several, so Redis runs the record's MULTI before the add's script: a render worker
  // can never see the job before its record. With appendfsync always both replies wait for
  // the same AOF fsync. When the MULTI failed and an add did not, the job is withdrawn below;
  // a worker that took it first fails it for good (RECORD_MISSING), and the client's 451 makes
  // it send the message again under a new fax id: nothing lost, nothing doubled. (Checked with
  // MONITOR: MULTI … EXEC, then EVALSHA, for each message.)
  const recorded = deps.records.create(
    {
      id: faxId,
      state: 'queued',
      createdAt: new Date().toISOString(),
      sender: input.sender,
      fromHeader: optionalTruncate(headers.from, MAX_NAME_CHARS),
      subject: headers.subject === undefined ? undefined : truncate(headers.subject, MAX_SUBJECT_CHARS),
      messageId: headers.messageId,
      clientAddress: input.clientAddress,
      authUser: input.authUser,
      senderTrust: input.senderTrust,
      messageKey,
      messageBytes: input.message.bytes,
      recipientCount: recipients.length,
      ...(input.dsn && (input.dsn.ret || input.dsn.envid) ? { dsn: input.dsn } : {}),
    },
    recipients,
  );
  const jobs: Array<{ name: 'render-fax' | 'delay-notice'; added: Promise<string> }> = [{ name: 'render-fax', added: deps.queues.add('render-fax', { faxId }) }];
  if (deps.delayWarningMs && recipients.some((r) => r.notify?.includes('DELAY'))) jobs.push({ name: 'delay-notice', added: deps.queues.add('delay-notice', { faxId }, { delay: deps.delayWarningMs }) });
  const withdraw = (name: (typeof jobs)[number]['name'], id: string) => deps.queues.queue(JOBS[name].queue).remove(id).catch(() => {});
  const fail = async (err: unknown, recordWritten: boolean) => {
    // Best effort: with Redis down these fail too, and the record (if any) stays 'queued' with
    // no job; the blob is removed so the disk does not fill with messages nobody will fax.
    if (recordWritten) await deps.records.remove(faxId, recipients.length).catch(() => {});
    await rm(input.message.path, { force: true }).catch(() => {});
    return new FaxgateError('QUEUE_UNAVAILABLE', (err as Error).message);
  };
  try {
    await recorded;
  } catch (err) {
    // Not awaited: with Redis away BullMQ's add waits for the connection to come back, and the
    // client should have its 451 now. A job that gets there after all is withdrawn then.
    for (const j of jobs) j.added.then((id) => withdraw(j.name, id), () => {});
    throw await fail(err, false);
  }
  const added = await Promise.allSettled(jobs.map((j) => j.added));
  const failed = added.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(added.map((a, i) => (a.status === 'fulfilled' ? withdraw(jobs[i].name, a.value) : undefined)));
    throw await fail(failed.reason, true);
  }
  try {
    await durable;
  } catch (err) {
    // Queued, but the message's name is not known to be on disk: a 451 risks a second copy when
    // the client sends it again, a 250 risks losing it; a duplicate fax is the lesser harm.
    throw new FaxgateError('STORE_FAILED', `queued as ${faxId}, but the message directory could not be fsynced: ${(err as Error).message}`);
  }
  return faxId;
}

/**
 * The same number written several ways in one message (`+1 212…`, `1212…`, `(212)…`) is one
 * recipient: one call and one result mail, under the first address that named it. Numbers
 * are compared in their E.164 form, which the RCPT check already made.
 */
export function uniqueRecipients(recipients: AcceptedRecipient[]): AcceptedRecipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => !seen.has(r.number) && !!seen.add(r.number));
}

function optionalTruncate(s: string | undefined, max: number): string | undefined {
  return s === undefined ? undefined : truncate(s, max);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Display names of the recipients (To/Cc headers), the From header and the subject. */
async function parseHeaders(head: Buffer): Promise<{ names: Map<string, string>; from?: string; subject?: string; messageId?: string }> {
  const parsed = await simpleParser(head, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const names = new Map<string, string>();
  const lists = ([] as AddressObject[]).concat(parsed.to ?? [], parsed.cc ?? []);
  for (const list of lists) for (const a of list.value) if (a.address && a.name) names.set(a.address.toLowerCase(), a.name);
  return { names, from: parsed.from?.text, subject: parsed.subject, messageId: parsed.messageId };
}
