import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createLeaderElector, scheduleWhileLeader, type ElectionTiming, type LeaderElector } from '@faxgate/k8s';
import type { RoleContext } from '@faxgate/runtime';
import type { PurgeDeps } from './purge.ts';
import { formatRetention, retentionPolicy, type RetentionPolicy } from './retention-policy.ts';
import { sweepRetention, type RetentionKind, type SweepReport } from './retention-sweep.ts';

export interface RetentionOwnerOptions {
  deps: PurgeDeps;
  redis: Redis;
  queuePrefix: string;
  /** This process in the election (the node id). */
  identity: string;
  policy: RetentionPolicy;
  intervalMs: number;
  registry?: Registry;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Election timing (tests shorten it). */
  timing?: Partial<ElectionTiming>;
  /** The clock the cut-offs are computed from (tests move it forward instead of waiting days). */
  now?: () => number;
}

export interface RetentionOwner {
  readonly elector: LeaderElector;
  /** Runs finished by this process, and the last one's report. */
  readonly runs: number;
  readonly lastReport: SweepReport | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The retention purge as a singleton: every dispatch process campaigns (a Lease in Kubernetes,
 * a Redis lock elsewhere) and only the leader sweeps, every `intervalMs`, so two sweeps never
 * race over the same files. A run is logged with what it deleted and kept, and counted in
 * faxgate_retention_* metrics.
 */
export function ownRetention(o: RetentionOwnerOptions): RetentionOwner {
  const warn = (msg: string, err?: unknown) => o.log.warn({ err: err instanceof Error ? err.message : err }, msg);
  const elector = createLeaderElector({ name: 'retention', identity: o.identity, redis: o.redis, redisPrefix: o.queuePrefix, log: warn, ...(o.timing ? { timing: o.timing } : {}) });
  const registers = o.registry ? [o.registry] : [];
  const purged = new Counter({ name: 'faxgate_retention_purged_total', help: 'Items deleted by the retention purge, by kind (records, received-records, messages, rendered, received, audit lines)', labelNames: ['kind'], registers });
  const kept = new Gauge({ name: 'faxgate_retention_kept_in_flight', help: 'Items past their retention kept by the last retention run because their fax is still in flight, by kind', labelNames: ['kind'], registers });
  const runsTotal = new Counter({ name: 'faxgate_retention_runs_total', help: 'Retention runs on this process, by outcome (ok, failed)', labelNames: ['outcome'], registers });
  const lastRun = new Gauge({ name: 'faxgate_retention_last_run_timestamp_seconds', help: 'When the last successful retention run on this process ended (Unix time)', registers });
  let runs = 0;
  let lastReport: SweepReport | undefined;
  const policyText = Object.entries(o.policy).map(([k, v]) => `${k.replace(/Ms$/, '')} ${v ? formatRetention(v) : 'for ever'}`).join(', ');

  let schedule: ReturnType<typeof scheduleWhileLeader> | undefined;
  const task = async (signal: AbortSignal) => {
    try {
      const report = await sweepRetention(o.deps, o.policy, (o.now ?? Date.now)(), signal);
      for (const [kind, n] of Object.entries(report.purged)) if (n) purged.inc({ kind }, n);
      for (const [kind, n] of Object.entries(report.keptInFlight)) kept.set({ kind }, n);
      runsTotal.inc({ outcome: 'ok' });
      lastRun.set(Date.now() / 1000);
      runs++;
      lastReport = report;
      const total = (r: Record<RetentionKind, number>) => Object.values(r).reduce((a, b) => a + b, 0);
      o.log.info({ purged: report.purged, keptInFlight: report.keptInFlight, policy: policyText }, total(report.purged) || total(report.keptInFlight) ? 'retention: purged what is past its retention' : 'retention: nothing past its retention');
    } catch (err) {
      if (signal.aborted) return;
      runsTotal.inc({ outcome: 'failed' });
      throw err;
    }
  };

  return {
    elector,
    get runs() {
      return runs;
    },
    get lastReport() {
      return lastReport;
    },
    async start() {
      await elector.start();
      schedule = scheduleWhileLeader(elector, o.intervalMs, task, warn);
    },
    async stop() {
      await schedule?.stop();
      await elector.stop();
    },
  };
}

/** The retention variables as a role's parsed configuration has them. */
export interface RetentionConfig {
  FAXGATE_RETENTION_RECORDS: number;
  FAXGATE_RETENTION_MESSAGES: number;
  FAXGATE_RETENTION_RENDERED: number;
  FAXGATE_RETENTION_RECEIVED: number;
  FAXGATE_RETENTION_INTERVAL: number;
}

/** The retention owner of a role (dispatch) from its context and configuration. */
export function ownRetentionFor(ctx: Pick<RoleContext, 'records' | 'inbound' | 'blobs' | 'redis' | 'base' | 'nodeId' | 'registry' | 'log'>, config: RetentionConfig): RetentionOwner {
  return ownRetention({
    deps: { records: ctx.records, inbound: ctx.inbound, blobs: ctx.blobs },
    redis: ctx.redis,
    queuePrefix: ctx.base.FAXGATE_QUEUE_PREFIX,
    identity: ctx.nodeId,
    policy: retentionPolicy(config),
    intervalMs: config.FAXGATE_RETENTION_INTERVAL,
    registry: ctx.registry,
    log: ctx.log,
  });
}
