import type { HylafaxClient } from './client.ts';
import { HylafaxError } from './errors.ts';
import { readReceivedFaxIdentity, type ReceivedFaxIdentity } from './received-tiff.ts';
import type { ReceivedFax } from './recv-list.ts';

/**
 * A stable key for one received fax: hfaxd reuses no file name while the file exists, but a
 * deleted name can come back after faxgetty's sequence wraps or the spool is rebuilt, so the
 * receive time goes with it. No `:`, not digits only: usable as a BullMQ job id.
 */
export function receivedFaxKey(fax: ReceivedFax): string {
  return `hylafax-${fax.file.replace(/\.tif$/, '')}-${Math.floor(fax.receivedAt.getTime() / 1000)}`;
}

/** A received fax's bytes and the caller identification faxgetty stored in it. */
export interface FetchedFax {
  fax: ReceivedFax;
  data: Buffer;
  /** TSI and every CallID value (number, name, then e.g. ANID and the DID), when present. */
  identity: ReceivedFaxIdentity | undefined;
}

/**
 * Fetches a listed fax once reception is over. A fax still being received, or whose size no
 * longer matches the listing (faxgetty was still writing), is refused with a transient error:
 * the next poll takes it.
 */
export async function fetchReceivedFax(client: HylafaxClient, fax: ReceivedFax): Promise<FetchedFax> {
  if (fax.inProgress) throw new HylafaxError('HYLAFAX_RECEIVING', `${fax.file} is still being received`, true);
  const data = await client.retrieve(`/recvq/${fax.file}`);
  if (data.length !== fax.sizeBytes) {
    throw new HylafaxError('HYLAFAX_RECEIVING', `${fax.file} is ${data.length} bytes, the listing said ${fax.sizeBytes}: still being written`, true);
  }
  return { fax, data, identity: readReceivedFaxIdentity(data) };
}

/** What to do with a received fax once faxgate has durably queued it. */
export type ProcessedAction = { action: 'delete' } | { action: 'move'; directory: string };

/**
 * Takes a fax out of recvq after faxgate has queued it: DELE, or a move into `directory` (e.g.
 * `/archive`). Both need a client with administrative privileges on a stock hfaxd, since
 * faxgetty's files are not writable for ordinary users.
 */
export async function markReceivedProcessed(client: HylafaxClient, fax: ReceivedFax, what: ProcessedAction): Promise<void> {
  const from = `/recvq/${fax.file}`;
  if (what.action === 'delete') return client.deleteFile(from);
  return client.moveFile(from, `${what.directory.replace(/\/+$/, '')}/${fax.file}`);
}
