import type { HylafaxClient } from './client.ts';
import { HylafaxConnectionError, HylafaxTimeoutError } from './errors.ts';
import { fetchReceivedFax, markReceivedProcessed, receivedFaxKey, type FetchedFax, type ProcessedAction } from './received.ts';

/** What one poll does with each new fax. */
export interface PollHandlers {
  /**
   * Queues the fax for inbound routing and resolves once that is durable. It gets the same `key`
   * for the same fax on every poll, so a fax seen again (its removal failed, or the poller died
   * in between) is deduplicated by the queue: a BullMQ job id made from the key is added once.
   */
  deliver(fetched: FetchedFax, key: string): Promise<void>;
  /** What to do with the fax on the server after delivery. */
  processed: ProcessedAction;
}

/** What a poll did, for the log and metrics. */
export interface PollReport {
  listed: number;
  /** Faxes still being received, left for a later poll. */
  receiving: number;
  delivered: string[];
  /** Faxes that stay on the server for the next poll, with why. */
  failed: Array<{ file: string; error: Error }>;
}

/**
 * One poll of the receive queue: each finished fax is fetched, delivered, and only then removed
 * (or moved) on the server, so a crash anywhere leaves it in recvq for the next poll. A failure
 * with one fax does not stop the others; a lost connection ends the poll (rejects), since every
 * later step would fail the same way, and leaves every fax not yet removed where it was.
 */
export async function pollReceivedFaxes(client: HylafaxClient, handlers: PollHandlers): Promise<PollReport> {
  const faxes = await client.listReceived();
  const report: PollReport = { listed: faxes.length, receiving: 0, delivered: [], failed: [] };
  // Oldest first: faxes reach their recipients in the order they came in.
  faxes.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.file.localeCompare(b.file));
  for (const fax of faxes) {
    if (fax.inProgress) {
      report.receiving++;
      continue;
    }
    try {
      const fetched = await fetchReceivedFax(client, fax);
      await handlers.deliver(fetched, receivedFaxKey(fax));
      await markReceivedProcessed(client, fax, handlers.processed);
      report.delivered.push(fax.file);
    } catch (err) {
      if (err instanceof HylafaxConnectionError || err instanceof HylafaxTimeoutError) throw err;
      report.failed.push({ file: fax.file, error: err as Error });
    }
  }
  return report;
}
