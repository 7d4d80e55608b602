import { createHash } from 'node:crypto';
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
  /**
   * How long a message is remembered to recognise the same mail sent again (issue 17): 0 or
   * absent turns the check off (the REST API, whose clients have their own idempotency).
   */
  duplicateWindowMs?: number;
}

/** What became of a message: its fax, or the fax of the same mail taken in before. */
export interface IntakeOutcome {
  faxId: string;
  /** Set when the message is a copy of a mail already queued (the fax named): nothing was queued. */
  duplicateOf?: string;
}

/**
 * The key of one mail sent to the gateway: its Message-ID with the envelope that carried it
 * (sender, recipients sorted), hashed. RFC 1047: a client that did not read the 250 to its DATA
 * (the connection broke, ingest was killed after queueing) sends the same message again, to the
 * same recipients; a message with the same Message-ID sent by another sender or to other
 * recipients (a resend to one more number, a list expanding) is another fax.
 */
export function duplicateKey(prefix: string, messageId: string, sender: string, recipients: string[]): string {
  const envelope = JSON.stringify([messageId, sender.toLowerCase(), [...new Set(recipients.map((r) => r.toLowerCase()))].sort()]);
  return `${prefix}:intake:once:${createHash('sha256').update(envelope).digest('hex')}`;
}

/** Intakes of the same key in this process, one after another (see takeInMail). */
const inFlight = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(key: string, run: () => Promise<T>): Promise<T> {
  for (let running = inFlight.get(key); running; running = inFlight.get(key)) await running.catch(() => {});
  const p = run();
  inFlight.set(key, p);
  try {
    return await p;
  } finally {
    if (inFlight.get(key) === p) inFlight.delete(key);
  }
}

/**
 * Makes an accepted message durable (whoever accepted it: the SMTP server, the REST API): the streamed message committed, the fax record created
 * and the render job queued, in that order. Only when all three succeeded may the SMTP server
 * answer 250; on any failure what was written is removed again. A header section that cannot
 * be parsed is permanent (554: a sender retries a 451 for days); the others are 451.
 */
export async function takeInMessage(input: IntakeInput, deps: IntakeDeps): Promise<string> {
  return (await takeInMail(input, deps)).faxId;
}

/**
 * takeInMessage that also recognises a mail sent again (`deps.duplicateWindowMs`): a message
 * whose duplicateKey was taken in within the window is not queued a second time, and the
 * outcome names the fax it already is. The key is written in the record's own MULTI, so a
 * record exists exactly when its key does. Two copies in this process run one after the other;
 * two copies reaching two ingest processes at the same moment both write, and the one whose
 * SET NX found the other's key withdraws its record and job (docs/crash-safety.md).
 */
export async function takeInMail(input: IntakeInput, deps: IntakeDeps): Promise<IntakeOutcome> {
  let headers: Awaited<ReturnType<typeof parseHeaders>>;
  try {
    if (!input.head) throw new Error(`the header section has no end within its first ${Math.round(MAX_HEADER_BYTES / 1024)} KiB`);
    headers = await parseHeaders(input.head);
  } catch (err) {
    await input.message.abort();
    throw new FaxgateError('MESSAGE_UNPARSABLE', (err as Error).message);
  }
  if (!deps.duplicateWindowMs || !headers.messageId) return queueMessage(input, deps, headers);
  const once = { key: duplicateKey(deps.queues.prefix, headers.messageId, input.sender, input.recipients.map((r) => r.address)), ttlMs: deps.duplicateWindowMs };
  return oneAtATime(once.key, async () => {
    let earlier: string | undefined;
    try {
      earlier = await deps.records.takenInAs(once.key);
    } catch (err) {
      await input.message.abort();
      throw new FaxgateError('QUEUE_UNAVAILABLE', (err as Error).message);
    }
    if (earlier) {
      await input.message.abort();
      return { faxId: earlier, duplicateOf: earlier };
    }
    return queueMessage(input, deps, headers, once);
  });
}

async function queueMessage(input: IntakeInput, deps: IntakeDeps, headers: Awaited<ReturnType<typeof parseHeaders>>, once?: { key: string; ttlMs: number }): Promise<IntakeOutcome> {
  const { faxId, messageKey } = input;
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
    once,
  );
  const jobs: Array<{ name: 'render-fax' | 'delay-notice'; added: Promise<string> }> = [{ name: 'render-fax', added: deps.queues.add('render-fax', { faxId }) }];
  if (deps.delayWarningMs && recipients.some((r) => r.notify?.includes('DELAY'))) jobs.push({ name: 'delay-notice', added: deps.queues.add('delay-notice', { faxId }, { delay: deps.delayWarningMs }) });
  const withdraw = (name: (typeof jobs)[number]['name'], id: string) => deps.queues.queue(JOBS[name].queue).remove(id).catch(() => {});
  const fail = async (err: unknown, recordWritten: boolean) => {
    // Best effort: with Redis down these fail too, and the record (if any) stays 'queued' with
    // no job; the blob is removed so the disk does not fill with messages nobody will fax.
    if (recordWritten) await deps.records.remove(faxId, recipients.length, { onceKey: once?.key }).catch(() => {});
    await rm(input.message.path, { force: true }).catch(() => {});
    return new FaxgateError('QUEUE_UNAVAILABLE', (err as Error).message);
  };
  let sameMail: string | undefined;
  try {
    sameMail = await recorded;
  } catch (err) {
    // Not awaited: with Redis away BullMQ's add waits for the connection to come back, and the
    // client should have its 451 now. A job that gets there after all is withdrawn then.
    for (const j of jobs) j.added.then((id) => withdraw(j.name, id), () => {});
    throw await fail(err, false);
  }
  if (sameMail) {
    // Another process took in a copy of this mail at the same moment and set the key first:
    // this copy's record goes before its job, so a render worker that takes the job now finds
    // no record and fails it for good (RECORD_MISSING) instead of faxing it.
    await deps.records.remove(faxId, recipients.length, { detail: `a copy of fax ${sameMail}, taken in at the same moment by another ingest process; answered as a duplicate` }).catch(() => {});
    const added = await Promise.allSettled(jobs.map((j) => j.added));
    await Promise.all(added.map((a, i) => (a.status === 'fulfilled' ? withdraw(jobs[i].name, a.value) : undefined)));
    await rm(input.message.path, { force: true }).catch(() => {});
    return { faxId: sameMail, duplicateOf: sameMail };
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
    // the client sends it again (unless the duplicate check knows it), a 250 risks losing it; a
    // duplicate fax is the lesser harm.
    throw new FaxgateError('STORE_FAILED', `queued as ${faxId}, but the message directory could not be fsynced: ${(err as Error).message}`);
  }
  return { faxId };
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
