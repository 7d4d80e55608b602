import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueSet } from '@faxgate/queue';
import { QUEUES } from '@faxgate/queue';

/** Lines of one node, as its line pool sees them at scrape time. */
export interface LineSource {
  pool: string;
  total(): number;
  busy(): number;
}

/**
 * faxgate's own metrics, defined in one place so every role that observes one shares its name,
 * help and buckets (docs/metrics.md lists them; the Grafana dashboard in the chart uses them).
 * Labels are bounded sets: pool names, queue names, outcomes and error-registry codes, never
 * numbers, addresses or free text.
 */
export interface GatewayMetrics {
  smtpReplies: Counter<'code'>;
  jobs: Counter<'queue' | 'name' | 'outcome'>;
  /** Final outcome per recipient; `reason` is the error-registry code (`none` when sent). */
  faxResults: Counter<'result' | 'pool' | 'reason'>;
  callsActive: Gauge<'pool'>;
  /** Every call attempt's outcome as the line driver reported it (success, busy, no-answer, ...). */
  calls: Counter<'pool' | 'direction' | 'result'>;
  /** SIP calls by the final response to their INVITE (`none`: none came, e.g. timer B or CANCEL before a provisional). */
  sipCalls: Counter<'pool' | 'direction' | 'code'>;
  callDuration: Histogram<'pool' | 'direction'>;
  pagesSent: Counter<'pool'>;
  pagesReceived: Counter<'pool'>;
  renderPageSeconds: Histogram;
  /** From when a job could run (added, or its delay over) to when a worker took it. */
  queueWait: Histogram<'queue'>;
  /** From the SMTP 250 (the fax record's creation) to the recipient's final outcome. */
  endToEnd: Histogram<'result'>;
  /** Mails to senders (results, summaries, delay notices): sent, refused (5xx), error (a try failed). */
  resultMails: Counter<'outcome'>;
  /** Registers a node's lines for `faxgate_lines`; returns the function that removes them. */
  addLineSource(source: LineSource): () => void;
}

/** Seconds; a fax call is tens of seconds to many minutes (a page takes ~10–60 s). */
const CALL_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 2400];
/** Seconds to render one page: tens of milliseconds for text, seconds for Office documents. */
const RENDER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds a job waits for a worker: none when idle, minutes when the lines are all busy. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600];
/** Seconds from SMTP accept to a recipient's outcome, retries included (up to hours). */
const END_TO_END_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400, 43_200, 86_400];

/** One registry per process: default process metrics, queue depths, and faxgate's own. */
export function createMetrics(queues: QueueSet, extraQueues: () => string[]): { registry: Registry; metrics: GatewayMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names three of its gauges *_total, which Prometheus reserves for counters
  // (`promtool check metrics` refuses them); each is the sum of the per-type gauge beside it.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const registers = [registry];
  const lineSources = new Set<LineSource>();
  const metrics: GatewayMetrics = {
    smtpReplies: new Counter({ name: 'faxgate_smtp_replies_total', help: 'SMTP replies sent by ingest, by reply code', labelNames: ['code'], registers }),
    jobs: new Counter({ name: 'faxgate_jobs_total', help: 'Jobs finished by this process, by queue, job name and outcome (completed or failed)', labelNames: ['queue', 'name', 'outcome'], registers }),
    faxResults: new Counter({ name: 'faxgate_fax_results_total', help: 'Final outcomes of fax transmissions per recipient (sent or failed), by line pool and reason (error code; none when sent)', labelNames: ['result', 'pool', 'reason'], registers }),
    callsActive: new Gauge({ name: 'faxgate_calls_active', help: 'Calls in progress on this node, by pool', labelNames: ['pool'], registers }),
    calls: new Counter({ name: 'faxgate_calls_total', help: 'Calls ended, by pool, direction (outgoing, incoming) and the line driver\'s result (success, busy, no-answer, no-carrier, failed, rejected)', labelNames: ['pool', 'direction', 'result'], registers }),
    sipCalls: new Counter({ name: 'faxgate_sip_calls_total', help: 'SIP calls (sip line driver), by pool, direction (outgoing, incoming) and the final response code to the INVITE (200, 486, 503, ...; none when no final response came)', labelNames: ['pool', 'direction', 'code'], registers }),
    callDuration: new Histogram({ name: 'faxgate_call_duration_seconds', help: 'Length of calls that connected, from answer to hang-up, by pool and direction', labelNames: ['pool', 'direction'], buckets: CALL_BUCKETS, registers }),
    pagesSent: new Counter({ name: 'faxgate_pages_sent_total', help: 'Pages the far end confirmed (T.30 MCF), by pool', labelNames: ['pool'], registers }),
    pagesReceived: new Counter({ name: 'faxgate_pages_received_total', help: 'Pages received on the lines, by pool', labelNames: ['pool'], registers }),
    renderPageSeconds: new Histogram({ name: 'faxgate_render_page_seconds', help: 'Render time per document page: a message\'s document render time divided by its pages, one observation per page', buckets: RENDER_BUCKETS, registers }),
    queueWait: new Histogram({ name: 'faxgate_queue_wait_seconds', help: 'Time a job waited in its queue for a worker (from added, or the end of its delay, to taken), first tries only, by queue', labelNames: ['queue'], buckets: WAIT_BUCKETS, registers }),
    endToEnd: new Histogram({ name: 'faxgate_fax_end_to_end_seconds', help: 'Time from the SMTP 250 to a recipient\'s final outcome, retries included, by result', labelNames: ['result'], buckets: END_TO_END_BUCKETS, registers }),
    resultMails: new Counter({ name: 'faxgate_result_mails_total', help: 'Tries to send a mail to a sender (result, broadcast summary, delay notice), by outcome: sent, refused (the smarthost answered 5xx: not retried), error (the try failed: retried with backoff; the last failed try also counts in faxgate_jobs_total{queue="notify",outcome="failed"})', labelNames: ['outcome'], registers }),
    addLineSource(source) {
      lineSources.add(source);
      return () => void lineSources.delete(source);
    },
  };
  new Gauge({
    name: 'faxgate_lines',
    help: 'Lines of this process\'s nodes by pool and state (idle, busy): utilisation is busy / (idle + busy)',
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      this.reset();
      const byPool = new Map<string, { total: number; busy: number }>();
      for (const s of lineSources) {
        const p = byPool.get(s.pool) ?? { total: 0, busy: 0 };
        p.total += s.total();
        p.busy += s.busy();
        byPool.set(s.pool, p);
      }
      for (const [pool, p] of byPool) {
        this.set({ pool, state: 'busy' }, p.busy);
        this.set({ pool, state: 'idle' }, p.total - p.busy);
      }
    },
  });
  new Gauge({
    name: 'faxgate_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed, completed)',
    labelNames: ['queue', 'state'],
    registers,
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

/**
 * Counts a recipient's final outcome and its end-to-end time (from the fax record's creation,
 * which is the SMTP 250). Call it once per outcome (where it is claimed), not on a job's re-run.
 */
export function observeFaxResult(
  ctx: { metrics: GatewayMetrics; records: { getFax(id: string): Promise<{ createdAt: string } | undefined> } },
  faxId: string,
  o: { result: 'sent' | 'failed'; pool?: string; reason?: string; /** The fax's createdAt when the caller has read it: no read here. */ createdAt?: string },
  now = Date.now(),
): Promise<void> {
  ctx.metrics.faxResults.inc({ result: o.result, pool: o.pool ?? 'none', reason: o.reason ?? (o.result === 'sent' ? 'none' : 'unknown') });
  return (o.createdAt !== undefined ? Promise.resolve({ createdAt: o.createdAt }) : ctx.records.getFax(faxId)).then(
    (fax) => {
      const accepted = fax ? Date.parse(fax.createdAt) : NaN;
      if (Number.isFinite(accepted)) ctx.metrics.endToEnd.observe({ result: o.result }, Math.max(0, now - accepted) / 1000);
    },
    // The count is what matters; a record that cannot be read only loses the timing.
    () => undefined,
  );
}
