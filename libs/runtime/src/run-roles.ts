import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { KNOWN_VARIABLES, baseSchema, collectConfigs, describeUnknownVariable, loadConfig, unknownVariables, type BaseConfig, type EnvSchema } from '@faxgate/config';
import { QueueSet, createRedis } from '@faxgate/queue';
import { LiveSettings } from '@faxgate/settings';
import { wallClock, type QuietHoursClock } from '@faxgate/quiet-hours/clock';
import { BlobStore, FaxRecords, InboundRecords } from '@faxgate/store';
import type { Redis } from 'ioredis';
import { createHttpServer, type HealthState } from './http-server.ts';
import { createMetrics } from './metrics.ts';
import { createLogThrottle } from './log-throttle.ts';
import { redisMemory, redisMemoryWarning, registerRedisMemoryMetrics } from './redis-memory.ts';
import type { RoleContext, RoleDefinition, RoleInstance } from './role.ts';

export interface RunningGateway {
  ctx: RoleContext;
  roles: Array<{ name: string; instance: RoleInstance }>;
  httpUrl: string;
  /** The running instance of a role, with the type its definition's build() gives it. */
  instanceOf<I extends RoleInstance>(def: RoleDefinition<EnvSchema, I>): I;
  /** Graceful shutdown: stop accepting, finish running jobs, close connections. */
  stop(): Promise<void>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Install SIGTERM/SIGINT handlers that stop and exit (the CLI does; tests do not). */
  handleSignals?: boolean;
  /** Print the start banner (where it listens). */
  announce?: boolean;
  /**
   * Every schema that validates a runtime setting (all roles', not only those in this process),
   * so the console validates an edit of any setting; the CLI passes them. Default: the base and
   * this process's roles.
   */
  settingsSchemas?: EnvSchema[];
  /**
   * The clock quiet hours read the time of day from (default: the wall clock). A test passes one
   * set ahead and running fast, so a window opens and closes in seconds for roles that are
   * otherwise run for real.
   */
  quietHoursClock?: QuietHoursClock;
}

/**
 * Builds and starts a set of roles in one process. Configuration is validated first, for every
 * role at once, so a bad variable stops the start with all problems named.
 */
export async function runRoles(defs: RoleDefinition[], opts: RunOptions = {}): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const [base, ...roleConfigs] = collectConfigs<unknown>([() => loadConfig('base', baseSchema, env), ...defs.map((d) => () => loadConfig(d.name, d.schema, env))]) as [BaseConfig, ...unknown[]];
  const nodeId = base.FAXGATE_NODE_ID ?? hostname();
  const log = pino({ level: base.FAXGATE_LOG_LEVEL, base: { node: nodeId } });
  // A misspelt variable is silently a default otherwise: say so, with the name it likely means.
  const known = new Set([...KNOWN_VARIABLES, ...Object.keys(baseSchema.shape), ...defs.flatMap((d) => Object.keys(d.schema.shape))]);
  for (const u of unknownVariables(env, known)) log.warn({ variable: u.name, closest: u.closest }, describeUnknownVariable(u));

  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  const requestRedis = createRedis(base.FAXGATE_REDIS_URL, 'request');
  const workerConnections: Redis[] = [];
  const queues = new QueueSet({ connection: redis, prefix: base.FAXGATE_QUEUE_PREFIX, backoffMs: base.FAXGATE_JOB_BACKOFF });
  const requestQueues = new QueueSet({ connection: requestRedis, prefix: base.FAXGATE_QUEUE_PREFIX, backoffMs: base.FAXGATE_JOB_BACKOFF });
  const roles: Array<{ name: string; instance: RoleInstance }> = [];
  let started = false;
  // A signal that arrives while the roles are still starting must not kill the process the
  // default way: it is remembered and acted on as soon as stop() exists.
  let pendingSignal: string | undefined;
  let onSignal: (sig: string) => void = (sig) => {
    pendingSignal ??= sig;
  };
  if (opts.handleSignals) {
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }
  const health: HealthState = {
    shuttingDown: false,
    async check() {
      const problems: string[] = [];
      if (!started) problems.push('starting');
      try {
        await Promise.race([redis.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000))]);
      } catch (err) {
        problems.push(`redis unreachable at ${redactUrl(base.FAXGATE_REDIS_URL)}: ${(err as Error).message}`);
      }
      for (const r of roles) {
        const p = await r.instance.notReady?.();
        if (p) problems.push(`${r.name}: ${p}`);
      }
      return problems;
    },
    async warnings() {
      const w = redisMemoryWarning(await redisMemory(redis));
      if (w) memoryLog('warn', 'redis-memory', {}, w);
      return w ? [w] : [];
    },
  };
  const memoryLog = createLogThrottle(log);
  // On one machine nobody may poll /readyz: Redis's memory is looked at every minute anyway, so
  // the warning reaches the log before Redis is full.
  const memoryWatch = setInterval(() => void health.warnings?.().catch(() => {}), 60_000);
  memoryWatch.unref();
  const { registry, metrics } = createMetrics(queues, () => queues.all().map((q) => q.name));
  registerRedisMemoryMetrics(registry, redis);
  const http = createHttpServer(registry, health, { metricsToken: base.FAXGATE_METRICS_TOKEN });
  // Runtime settings (issue 20): the stored version is applied to the validated configs before
  // the roles are built, and every later version while they run.
  const settings = new LiveSettings({
    redis,
    prefix: base.FAXGATE_QUEUE_PREFIX,
    env,
    targets: [{ scope: 'base', schema: baseSchema as unknown as EnvSchema, config: base as unknown as Record<string, unknown> }, ...defs.map((d, i) => ({ scope: d.name, schema: d.schema, config: roleConfigs[i] as Record<string, unknown> }))],
    log: log.child({ component: 'settings' }),
    process: `${nodeId}:${process.pid}`,
    node: nodeId,
    roles: defs.map((d) => d.name),
  });
  await settings.load();
  health.info = () => ({ settingsVersion: settings.version });
  const ctx: RoleContext = {
    base,
    settings,
    settingsSchemas: opts.settingsSchemas ?? [baseSchema as unknown as EnvSchema, ...defs.map((d) => d.schema)],
    quietHoursClock: opts.quietHoursClock ?? wallClock,
    nodeId,
    log,
    redis,
    requestRedis,
    workerConnection() {
      const c = createRedis(base.FAXGATE_REDIS_URL, 'worker');
      workerConnections.push(c);
      return c;
    },
    queues,
    requestQueues,
    records: new FaxRecords(redis, base.FAXGATE_QUEUE_PREFIX),
    inbound: new InboundRecords(redis, base.FAXGATE_QUEUE_PREFIX),
    requestInbound: new InboundRecords(requestRedis, base.FAXGATE_QUEUE_PREFIX),
    blobs: new BlobStore(resolve(base.FAXGATE_DATA_DIR)),
    registry,
    metrics,
    http,
  };

  for (let i = 0; i < defs.length; i++) {
    const def = defs[i];
    const instance = await def.build({ ...ctx, log: log.child({ role: def.name }) }, roleConfigs[i] as never);
    roles.push({ name: def.name, instance });
  }

  const startedRoles: typeof roles = [];
  const startAborted = new AbortController();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      health.shuttingDown = true;
      clearInterval(memoryWatch);
      const deadline = setTimeout(() => {
        log.error({ timeoutMs: base.FAXGATE_SHUTDOWN_TIMEOUT }, 'shutdown deadline passed; exiting with work unfinished (it will be retried)');
        process.exit(1);
      }, base.FAXGATE_SHUTDOWN_TIMEOUT);
      deadline.unref();
      // Fixed order: roles that accept work from outside (SMTP) stop first, then workers finish
      // their running jobs, then queues and Redis close, then the HTTP server.
      // (The definition order, not the start order: SMTP may have opened before Redis answered.)
      for (const r of [...roles].reverse().filter((x) => startedRoles.includes(x))) {
        try {
          await r.instance.stop();
        } catch (err) {
          log.error({ err, role: r.name }, 'role did not stop cleanly');
        }
      }
      await settings.stop();
      await queues.close();
      await requestQueues.close();
      await closeConnections([redis, requestRedis, ...workerConnections]);
      await http.close();
      clearTimeout(deadline);
      log.info('stopped');
    })();
    return stopping;
  };

  // The first SIGTERM stops the process whatever it is doing, waiting for Redis included.
  if (opts.handleSignals) {
    onSignal = (sig: string) => {
      log.info({ signal: sig }, 'shutting down');
      startAborted.abort();
      void stop().then(() => process.exit(0));
    };
    if (pendingSignal) onSignal(pendingSignal);
  }

  await http.listen({ host: base.FAXGATE_HTTP_HOST, port: base.FAXGATE_HTTP_PORT });
  const addr = http.server.address();
  const httpUrl = typeof addr === 'object' && addr ? `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);

  // Roles that work without Redis (SMTP answers 451 while it is away) open at once; workers stay
  // paused until Redis answers: a worker started against a dead Redis would spin.
  for (const r of roles) {
    if (!r.instance.startsWithoutRedis || startAborted.signal.aborted) continue;
    await r.instance.start();
    startedRoles.push(r);
  }
  if (await waitForRedis(redis, log, startAborted.signal)) {
    for (const r of roles) {
      if (r.instance.startsWithoutRedis) continue;
      if (startAborted.signal.aborted) break;
      await r.instance.start();
      startedRoles.push(r);
    }
    started = !startAborted.signal.aborted;
  }
  await settings.start();

  if (opts.announce) {
    const lines = [`faxgate ${defs.map((d) => d.name).join(', ')} running (node ${nodeId})`, `  http      ${httpUrl}  (/healthz /readyz /metrics)`];
    for (const r of roles) for (const l of r.instance.describe?.() ?? []) lines.push(`  ${l}`);
    lines.push(`  redis     ${redactUrl(base.FAXGATE_REDIS_URL)} (prefix ${base.FAXGATE_QUEUE_PREFIX})`, `  data      ${resolve(base.FAXGATE_DATA_DIR)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  log.info({ roles: defs.map((d) => d.name), http: httpUrl }, 'started');
  const instanceOf = <I extends RoleInstance>(def: RoleDefinition<EnvSchema, I>): I => {
    const role = roles.find((r) => r.name === def.name);
    if (!role) throw new Error(`role ${def.name} is not running in this gateway (running: ${roles.map((r) => r.name).join(', ')})`);
    // Built by that very definition (roles are unique by name), so it has the type build() gave it.
    return role.instance as I;
  };
  return { ctx, roles, httpUrl, instanceOf, stop };
}

/**
 * QUIT where Redis answers, then disconnect regardless: a client left reconnecting to a Redis
 * that is gone would keep the process alive after shutdown.
 */
async function closeConnections(conns: Redis[]): Promise<void> {
  await Promise.allSettled(conns.map((c) => Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000))])));
  for (const c of conns) c.disconnect(false);
}

/** Resolves true once Redis answers, false when the start was given up (a signal). */
async function waitForRedis(redis: Redis, log: import('pino').Logger, signal: AbortSignal): Promise<boolean> {
  const repeated = createLogThrottle(log);
  while (!signal.aborted) {
    try {
      await redis.ping();
      return true;
    } catch (err) {
      repeated('warn', 'wait-for-redis', { err: (err as Error).message }, 'waiting for Redis before starting workers');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 500);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        }, { once: true });
      });
    }
  }
  return false;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
