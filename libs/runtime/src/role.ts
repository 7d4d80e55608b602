import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { BaseConfig, EnvSchema } from '@faxgate/config';
import type { QueueSet } from '@faxgate/queue';
import type { BlobStore, FaxRecords, InboundRecords } from '@faxgate/store';
import type { LiveSettings } from '@faxgate/settings';
import type { QuietHoursClock } from '@faxgate/quiet-hours/clock';
import type { GatewayMetrics } from './metrics.ts';

/** What the runtime hands every role: shared connections, stores, metrics and the HTTP server. */
export interface RoleContext {
  base: BaseConfig;
  /**
   * The runtime settings (issue 20): new versions are written into the role configs in place;
   * a role that derives something from a runtime setting at build time rebuilds it in onChange.
   */
  settings: LiveSettings;
  /** Every schema that validates a runtime setting, for edits made through this process. */
  settingsSchemas: EnvSchema[];
  nodeId: string;
  log: Logger;
  /** A new Redis connection for a BullMQ worker (blocking commands need their own). */
  workerConnection(): Redis;
  /** Fail-fast connection for work done inside an SMTP or HTTP request. */
  requestRedis: Redis;
  /** Connection for background work (workers' side effects, records). */
  redis: Redis;
  /** Producers on the background connection. */
  queues: QueueSet;
  /** Producers on the fail-fast connection: use inside SMTP/HTTP requests. */
  requestQueues: QueueSet;
  records: FaxRecords;
  /** Received faxes' records, on the background connection. */
  inbound: InboundRecords;
  /** The same records on the fail-fast connection: use inside HTTP requests. */
  requestInbound: InboundRecords;
  blobs: BlobStore;
  registry: Registry;
  metrics: GatewayMetrics;
  http: FastifyInstance;
  /** Where quiet hours read the time of day: the wall clock unless the runner passed another. */
  quietHoursClock: QuietHoursClock;
}

/** A running role. start() begins accepting work; stop() stops accepting and finishes what runs. */
export interface RoleInstance {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A sentence when the role is not ready (for /readyz), undefined when it is. */
  notReady?(): Promise<string | undefined>;
  /**
   * start() needs no Redis: the role opens while Redis is still away and answers requests that
   * need it with a temporary failure (SMTP 451), instead of leaving its port closed.
   */
  startsWithoutRedis?: boolean;
  /** Lines printed at start: where the role listens or what it serves. */
  describe?(): string[];
}

/**
 * A role: its configuration schema and how to build it. `I` is what `build` returns, so a role
 * can offer more than RoleInstance (the SMTP port it bound, its T.38 listener) with its type
 * known to whoever runs it (`RunningGateway.instanceOf`), instead of being cast to it.
 */
export interface RoleDefinition<S extends EnvSchema = EnvSchema, I extends RoleInstance = RoleInstance> {
  name: string;
  /** The role's own configuration schema (variables beyond the base ones). */
  schema: S;
  build(ctx: RoleContext, config: import('zod').output<S>): Promise<I>;
}

/** Helps TypeScript infer the config type from the schema and the instance type from build(). */
export function defineRole<S extends EnvSchema, I extends RoleInstance>(def: RoleDefinition<S, I>): RoleDefinition<S, I> {
  return def;
}
