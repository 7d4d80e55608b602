import { bool, int } from '@faxgate/config';

/**
 * Batching (issue 14): faxes waiting for a number that is on another call of ours go out
 * together in the next call to it, one T.30 document each (EOM between them). The defaults are
 * HylaFAX's idea (it batches jobs to one destination, MaxBatchJobs) with a shorter leash: a
 * batch holds one line, so it is capped at what a busy office sends one machine in a quarter of
 * an hour (50 pages at 14,400 bit/s), and at 10 faxes so one sender's burst does not keep a
 * number for itself.
 */
export const batchFields = {
  FAXGATE_BATCH_ENABLED: bool(true).describe('When a call to a number starts and other faxes to that number wait for it (one call at a time per number), they go out in the same call, one document each (T.30 EOM); each keeps its own record, result and result mail. Every driver batches; with hylafax a batch is one HylaFAX job with a document per fax.'),
  FAXGATE_BATCH_MAX_FAXES: int(10, 1, 100).describe('Most faxes in one batched call, the first one included (HylaFAX MaxBatchJobs).'),
  FAXGATE_BATCH_MAX_PAGES: int(50, 1, 10000).describe('Most pages in one batched call: a fax that would go beyond it waits for the next call (the first fax of a call always goes, however long).'),
};
