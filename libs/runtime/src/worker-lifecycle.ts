import type { Worker } from 'bullmq';
import { isFinalAttempt } from '@faxgate/queue';
import type { Logger } from 'pino';
import type { GatewayMetrics } from './metrics.ts';
import { createLogThrottle } from './log-throttle.ts';

/**
 * Starts BullMQ workers and wires their events to logs and metrics; stop() waits for running
 * jobs to finish (a job interrupted by the shutdown deadline is retried by another worker).
 */
export function workerLifecycle(workers: Worker[], log: Logger, metrics: GatewayMetrics) {
  const repeated = createLogThrottle(log);
  for (const w of workers) {
    w.on('active', (job) => {
      // Retries wait out their backoff on purpose: only first tries say how long work queues.
      if (job.attemptsMade > 0) return;
      const ready = job.timestamp + (job.opts.delay ?? 0);
      metrics.queueWait.observe({ queue: w.name }, Math.max(0, (job.processedOn ?? Date.now()) - ready) / 1000);
    });
    w.on('completed', (job) => metrics.jobs.inc({ queue: w.name, name: job.name, outcome: 'completed' }));
    w.on('failed', (job, err) => {
      metrics.jobs.inc({ queue: w.name, name: job?.name ?? 'unknown', outcome: 'failed' });
      // In the 'failed' event BullMQ has already counted the try that failed.
      const final = !job || err.name === 'UnrecoverableError' || isFinalAttempt({ attemptsMade: job.attemptsMade - 1, opts: job.opts });
      log[final ? 'error' : 'warn']({ queue: w.name, job: job?.id, attempt: job?.attemptsMade, err: err.message }, final ? 'job failed for good' : 'job failed; will retry');
    });
    // A worker reports every failed reconnect while Redis is away: once a minute is enough.
    w.on('error', (err) => repeated('warn', `worker:${w.name}:${err.message}`, { queue: w.name, err: err.message }, 'worker error'));
  }
  return {
    async start() {
      for (const w of workers) void w.run();
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
    },
    async notReady() {
      const down = workers.filter((w) => !w.isRunning());
      return down.length ? `workers not running: ${down.map((w) => w.name).join(', ')}` : undefined;
    },
  };
}
