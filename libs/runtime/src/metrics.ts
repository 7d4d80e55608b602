import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueSet } from '@faxgate/queue';
import { QUEUES } from '@faxgate/queue';

export interface GatewayMetrics {
  smtpReplies: Counter<'code'>;
  jobs: Counter<'queue' | 'name' | 'outcome'>;
  faxResults: Counter<'result'>;
  callsActive: Gauge<'pool'>;
}

/** One registry per process: default process metrics, queue depths, and faxgate's counters. */
export function createMetrics(queues: QueueSet, extraQueues: () => string[]): { registry: Registry; metrics: GatewayMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics: GatewayMetrics = {
    smtpReplies: new Counter({ name: 'faxgate_smtp_replies_total', help: 'SMTP replies sent by ingest, by reply code', labelNames: ['code'], registers: [registry] }),
    jobs: new Counter({ name: 'faxgate_jobs_total', help: 'Jobs finished by this process, by queue, job name and outcome (completed or failed)', labelNames: ['queue', 'name', 'outcome'], registers: [registry] }),
    faxResults: new Counter({ name: 'faxgate_fax_results_total', help: 'Final outcomes of fax transmissions per recipient (sent or failed)', labelNames: ['result'], registers: [registry] }),
    callsActive: new Gauge({ name: 'faxgate_calls_active', help: 'Calls in progress on this node, by pool', labelNames: ['pool'], registers: [registry] }),
  };
  new Gauge({
    name: 'faxgate_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed, completed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const names = new Set<string>([...Object.values(QUEUES), ...extraQueues()]);
      await Promise.all(
        [...names].map(async (name) => {
          try {
            const q = queues.byName(name);
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'paused', 'prioritized');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
          } catch {
            // Redis down: the gauge is empty rather than the scrape failing.
          }
        }),
      );
    },
  });
  return { registry, metrics };
}
