import type { Job } from 'bullmq';

/**
 * Whether the try now running is the job's last one (BullMQ's `attemptsMade` counts the tries
 * that already failed), so a handler can turn a failure into a recorded outcome instead of
 * leaving a record that says "in progress" for ever. An `UnrecoverableError` is final whatever
 * the count.
 */
export function isFinalAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>, err?: unknown): boolean {
  if (err instanceof Error && err.name === 'UnrecoverableError') return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
