import { blobKeys, inboundBlobKeys, type BlobStore, type FaxRecords, type InboundRecords } from '@faxgate/store';

/** What a purge needs: the records and the data directory. */
export interface PurgeDeps {
  records: FaxRecords;
  inbound: InboundRecords;
  blobs: BlobStore;
}

export interface PurgeResult {
  id: string;
  /** Something was found and deleted. */
  purged: boolean;
  /** Why nothing was deleted (in flight, unknown id). */
  refused?: string;
  /** Refused because the fax is not finished (or not yet closed): try again later (HTTP 409). */
  inFlight?: true;
  /** Blob keys and record kinds deleted. */
  removed: string[];
}

const FAX_ID = /^fx[0-9a-z]{10,40}$/;
/** The fax states nothing follows (libs/store keeps a fax open after them until it is reconciled). */
const FINISHED: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);
const INBOUND_ID = /^in[0-9a-z]{10,40}$/;

/**
 * Deletes everything faxgate holds about one fax (a data-subject request): the stored message,
 * the rendered pages and the records, leaving one `purged` audit line that says what went and
 * who asked. A fax still in flight is refused: its jobs would find their files gone.
 */
export async function purgeOne(deps: PurgeDeps, id: string, actor: string, reason?: string): Promise<PurgeResult> {
  if (FAX_ID.test(id)) return purgeFax(deps, id, actor, reason);
  if (INBOUND_ID.test(id)) return purgeInbound(deps, id, actor, reason);
  return { id, purged: false, refused: `"${id}" is neither a fax id (fx…) nor a received-fax id (in…)`, removed: [] };
}

export async function purgeFax(deps: PurgeDeps, id: string, actor: string, reason?: string): Promise<PurgeResult> {
  const fax = await deps.records.getFax(id);
  if (fax && (await deps.records.inFlight(id, fax))) {
    // A fax in a final state stays open until dispatch's reconciler has seen its last jobs (the
    // result mail) end: 'still in flight (state done)' read as a contradiction to an admin.
    const why = FINISHED.has(fax.state)
      ? `fax ${id} has ended (state ${fax.state}) but its last jobs (the result mail) are not yet checked; dispatch closes it on its FAXGATE_RECONCILE_INTERVAL pass once it is two intervals old (by default within 3 minutes of its acceptance, or 1 minute of its end if later), try again then`
      : `fax ${id} is still in flight (state ${fax.state}); purge it once it is finished`;
    return { id, purged: false, refused: why, inFlight: true, removed: [] };
  }
  const removed = await removeFaxDocuments(deps.blobs, id, fax?.messageKey);
  if (fax) removed.push('records');
  if (!fax && removed.length === 0) return { id, purged: false, refused: `no fax ${id} (already purged, or never accepted)`, removed };
  await deps.records.purge(id, `${describe(removed)}${reason ? `; ${reason}` : ''}`, actor);
  return { id, purged: true, removed };
}

export async function purgeInbound(deps: PurgeDeps, id: string, actor: string, reason?: string): Promise<PurgeResult> {
  const rec = await deps.inbound.get(id);
  if (rec && (await deps.inbound.inFlight(id, rec))) {
    return { id, purged: false, refused: `received fax ${id} is still being delivered (state ${rec.state}); purge it once it is finished`, inFlight: true, removed: [] };
  }
  const removed = await removeInboundDocuments(deps.blobs, id, rec?.documentKey);
  if (rec) removed.push('records');
  if (!rec && removed.length === 0) return { id, purged: false, refused: `no received fax ${id} (already purged, or never received)`, removed };
  await deps.inbound.purge(id, `${describe(removed)}${reason ? `; ${reason}` : ''}`, actor);
  return { id, purged: true, removed };
}

/** The stored message and the rendered pages of a fax; returns the keys that were there. */
export async function removeFaxDocuments(blobs: BlobStore, id: string, messageKey?: string): Promise<string[]> {
  const removed: string[] = [];
  for (const key of new Set([messageKey ?? blobKeys.message(id), blobKeys.message(id)])) {
    if (await blobs.exists(key)) {
      await blobs.delete(key);
      removed.push(key);
    }
  }
  if (await blobs.deleteTree(blobKeys.renderedFax(id))) removed.push(`${blobKeys.renderedFax(id)}/`);
  return removed;
}

export async function removeInboundDocuments(blobs: BlobStore, id: string, documentKey?: string): Promise<string[]> {
  const removed: string[] = [];
  for (const key of new Set([documentKey ?? inboundBlobKeys.document(id), inboundBlobKeys.document(id), inboundBlobKeys.simOffer(id)])) {
    if (await blobs.exists(key)) {
      await blobs.delete(key);
      removed.push(key);
    }
  }
  return removed;
}

function describe(removed: string[]): string {
  return removed.length ? `deleted ${removed.join(', ')}` : 'nothing stored';
}
