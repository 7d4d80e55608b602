import type { BlobStore } from '@faxgate/store';
import { formatRetention, type RetentionPolicy } from './retention-policy.ts';
import { removeFaxDocuments, removeInboundDocuments, type PurgeDeps } from './purge.ts';

/** The kinds a sweep counts, as in the metrics' `kind` label. */
export type RetentionKind = 'records' | 'received-records' | 'messages' | 'rendered' | 'received' | 'audit';

export interface SweepReport {
  /** Items deleted per kind (files, directories, faxes' records, audit lines). */
  purged: Record<RetentionKind, number>;
  /** Items past their retention that were kept because their fax is still in flight. */
  keptInFlight: Record<RetentionKind, number>;
}

const ACTOR = 'retention';
const BATCH = 500;

function emptyCounts(): Record<RetentionKind, number> {
  return { records: 0, 'received-records': 0, messages: 0, rendered: 0, received: 0, audit: 0 };
}

/**
 * One retention run: files of the data directory older than their kind's retention (by their
 * modification time, so files no record names any more go too), then records older than the
 * records' retention, then the audit lines as old. A fax still in flight keeps everything: its
 * jobs read those files and records. Every deletion tied to a fax is on its timeline and in the
 * audit trail. The signal stops the run between two items (leadership lost, shutdown).
 */
export async function sweepRetention(deps: PurgeDeps, policy: RetentionPolicy, now: number, signal?: AbortSignal): Promise<SweepReport> {
  const report: SweepReport = { purged: emptyCounts(), keptInFlight: emptyCounts() };
  const stop = () => signal?.throwIfAborted();

  if (policy.messagesMs > 0) {
    const cutoff = now - policy.messagesMs;
    const why = `older than ${formatRetention(policy.messagesMs)}`;
    for (const e of await oldEntries(deps.blobs, 'messages', cutoff)) {
      stop();
      const id = e.name.replace(/\.eml$/, '');
      const fax = /^fx/.test(id) ? await deps.records.getFax(id) : undefined;
      if (fax && (await deps.records.inFlight(id, fax))) {
        report.keptInFlight.messages++;
        continue;
      }
      await deps.blobs.delete(e.key);
      report.purged.messages++;
      if (fax) await noteOnFax(deps, id, 'message purged', `${e.key} ${why}`);
    }
    // Mails to postmaster and result mails written to the outbox (no smarthost) are messages too.
    for (const dir of ['postmaster', 'outbox']) {
      for (const e of await oldEntries(deps.blobs, dir, cutoff)) {
        stop();
        await deps.blobs.deleteTree(e.key);
        report.purged.messages++;
      }
    }
  }

  if (policy.renderedMs > 0) {
    const cutoff = now - policy.renderedMs;
    for (const e of await oldEntries(deps.blobs, 'faxes', cutoff)) {
      stop();
      const fax = await deps.records.getFax(e.name);
      if (fax && (await deps.records.inFlight(e.name, fax))) {
        report.keptInFlight.rendered++;
        continue;
      }
      await deps.blobs.deleteTree(e.key);
      report.purged.rendered++;
      if (fax) await noteOnFax(deps, e.name, 'rendered fax purged', `${e.key}/ older than ${formatRetention(policy.renderedMs)}`);
    }
    // What the simulated remote fax machine "printed".
    for (const e of await oldEntries(deps.blobs, 'sim-received', cutoff)) {
      stop();
      await deps.blobs.deleteTree(e.key);
      report.purged.rendered++;
    }
  }

  if (policy.receivedMs > 0) {
    for (const e of await oldEntries(deps.blobs, 'inbound', now - policy.receivedMs)) {
      stop();
      const id = e.name.replace(/(-offer)?\.tif$/, '');
      const rec = await deps.inbound.get(id);
      if (rec && (await deps.inbound.inFlight(id, rec))) {
        report.keptInFlight.received++;
        continue;
      }
      await deps.blobs.deleteTree(e.key);
      report.purged.received++;
      if (rec && e.key === rec.documentKey) {
        await deps.inbound.update(id, { documentPurgedAt: new Date(now).toISOString() });
        await deps.inbound.event(id, 'received fax purged', `${e.key} older than ${formatRetention(policy.receivedMs)}`);
      }
    }
  }

  if (policy.recordsMs > 0) {
    const cutoff = now - policy.recordsMs;
    const why = `records older than ${formatRetention(policy.recordsMs)}`;
    // In-flight faxes stay at the head of the index: page past them.
    for (let offset = 0; ; ) {
      const ids = await deps.records.createdBefore(cutoff, offset, BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        stop();
        const fax = await deps.records.getFax(id);
        if (fax && (await deps.records.inFlight(id, fax))) {
          report.keptInFlight.records++;
          offset++;
          continue;
        }
        const removed = await removeFaxDocuments(deps.blobs, id, fax?.messageKey);
        await deps.records.purge(id, `${why}${removed.length ? `; deleted ${removed.join(', ')}` : ''}`, ACTOR);
        report.purged.records++;
      }
    }
    for (let offset = 0; ; ) {
      const ids = await deps.inbound.createdBefore(cutoff, offset, BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        stop();
        const rec = await deps.inbound.get(id);
        if (rec && (await deps.inbound.inFlight(id, rec))) {
          report.keptInFlight['received-records']++;
          offset++;
          continue;
        }
        const removed = await removeInboundDocuments(deps.blobs, id, rec?.documentKey);
        await deps.inbound.purge(id, `${why}${removed.length ? `; deleted ${removed.join(', ')}` : ''}`, ACTOR);
        report.purged['received-records']++;
      }
    }
    report.purged.audit += await deps.records.audit.trimBefore(cutoff);
  }
  return report;
}

async function oldEntries(blobs: BlobStore, dir: string, cutoff: number) {
  return (await blobs.list(dir)).filter((e) => e.mtimeMs < cutoff);
}

async function noteOnFax(deps: PurgeDeps, id: string, event: string, detail: string): Promise<void> {
  await deps.records.updateFax(id, { documentsPurgedAt: new Date().toISOString() });
  await deps.records.event(id, event, detail);
}
