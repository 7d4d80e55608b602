import { simpleParser, type AddressObject } from 'mailparser';
import { blobKeys, FaxRecords, type BlobStore, type RecipientRecord } from '@faxgate/store';
import { newFaxId, type QueueSet } from '@faxgate/queue';
import { FaxgateError } from '@faxgate/errors';

export interface AcceptedRecipient { address: string; number: string; dialString: string }

export interface IntakeInput {
  raw: Buffer;
  sender: string;
  recipients: AcceptedRecipient[];
  clientAddress: string;
  authUser?: string;
}

/**
 * Makes an accepted message durable: the raw message stored, the fax record created and the
 * render job queued, in that order. Only when all three succeeded may the SMTP server answer
 * 250; on any failure what was written is removed again and the client gets a 451.
 */
export async function takeInMessage(input: IntakeInput, deps: { blobs: BlobStore; records: FaxRecords; queues: QueueSet }): Promise<string> {
  const faxId = newFaxId();
  const messageKey = blobKeys.message(faxId);
  const headers = await parseHeaders(input.raw);
  try {
    await deps.blobs.put(messageKey, input.raw);
  } catch (err) {
    throw new FaxgateError('STORE_FAILED', (err as Error).message);
  }
  const recipients: RecipientRecord[] = input.recipients.map((r, index) => ({
    index,
    address: r.address,
    name: headers.names.get(r.address.toLowerCase()),
    number: r.number,
    dialString: r.dialString,
    state: 'waiting',
    pagesSent: 0,
    attempts: 0,
    connectedAttempts: 0,
    durationMs: 0,
  }));
  let created = false;
  try {
    await deps.records.create(
      {
        id: faxId,
        state: 'queued',
        createdAt: new Date().toISOString(),
        sender: input.sender,
        fromHeader: headers.from,
        subject: headers.subject,
        messageId: headers.messageId,
        clientAddress: input.clientAddress,
        authUser: input.authUser,
        messageKey,
        messageBytes: input.raw.length,
        recipientCount: recipients.length,
      },
      recipients,
    );
    created = true;
    await deps.queues.add('render-fax', { faxId });
  } catch (err) {
    // Best effort: with Redis down these fail too, and the record (if any) stays 'queued' with
    // no job; the blob is removed so the disk does not fill with messages nobody will fax.
    if (created) await deps.records.remove(faxId, recipients.length).catch(() => {});
    await deps.blobs.delete(messageKey).catch(() => {});
    throw new FaxgateError('QUEUE_UNAVAILABLE', (err as Error).message);
  }
  return faxId;
}

/** Display names of the recipients (To/Cc headers), the From header and the subject. */
async function parseHeaders(raw: Buffer): Promise<{ names: Map<string, string>; from?: string; subject?: string; messageId?: string }> {
  const end = headerEnd(raw);
  const parsed = await simpleParser(raw.subarray(0, end), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const names = new Map<string, string>();
  const lists = ([] as AddressObject[]).concat(parsed.to ?? [], parsed.cc ?? []);
  for (const list of lists) for (const a of list.value) if (a.address && a.name) names.set(a.address.toLowerCase(), a.name);
  return { names, from: parsed.from?.text, subject: parsed.subject, messageId: parsed.messageId };
}

function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const candidates = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((x) => x >= 0);
  return candidates.length ? Math.min(...candidates) : raw.length;
}
