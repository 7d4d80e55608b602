import { z } from 'zod';
import { csv, domainList, duration, optionalString, port, url } from './env-types.ts';

/** What every role needs: Redis, where to keep files, the HTTP port for health and metrics. */
export const baseSchema = z.object({
  FAXGATE_REDIS_URL: url('redis://127.0.0.1:6379', ['redis', 'rediss']).describe(
    'Redis holding the queues and the fax records. Use AOF persistence and `maxmemory-policy noeviction`.',
  ),
  FAXGATE_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('faxgate')
    .describe('Prefix of every Redis key faxgate writes; separate installations on one Redis use different prefixes.'),
  FAXGATE_DATA_DIR: z.string().default('./var').describe(
    'Directory for stored messages, rendered faxes and the outbox. Roles on different machines must share it (a ReadWriteMany volume).',
  ),
  FAXGATE_HTTP_HOST: z.string().default('0.0.0.0').describe('Address the HTTP server (health, metrics, console) listens on.'),
  FAXGATE_HTTP_PORT: port(8080).describe('Port of the HTTP server: /healthz, /readyz, /metrics, and the console API when the console role runs.'),
  FAXGATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level (logs are JSON lines on stdout).'),
  FAXGATE_SHUTDOWN_TIMEOUT: duration('25s').describe(
    'How long a graceful shutdown may take before the process exits anyway; keep it below the Kubernetes grace period.',
  ),
  FAXGATE_JOB_BACKOFF: duration('5s').describe(
    'Base delay of the exponential backoff (with jitter) between tries of a failed job: rendering, scheduling, mail delivery.',
  ),
  FAXGATE_METRICS_TOKEN: optionalString().describe(
    'When set, /metrics answers only requests with `Authorization: Bearer <token>` (Prometheus `authorization.credentials`); unset, /metrics is open to whoever reaches the HTTP port.',
  ),
  FAXGATE_NODE_ID: optionalString().describe('Name of this process in logs and line status; defaults to the host name.'),
});
export type BaseConfig = z.output<typeof baseSchema>;

/**
 * Variables read by more than one role. Each role's schema spreads the ones it needs, so every
 * variable has one definition (and one line in docs/configuration.md).
 */
export const sharedFields = {
  FAXGATE_FAX_DOMAINS: domainList('fax.localhost').describe('Mail domains whose recipients are fax numbers (`15551234567@fax.example.com`). Comma list.'),
  FAXGATE_DEFAULT_COUNTRY: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 two-letter country code')
    .default('US')
    .transform((c) => c.toUpperCase())
    .describe('Country of national-form numbers and of the lines (dial rules); also picks Letter or A4 paper.'),
};

/** The pool's fax number: the node sends it as TSI/CSI and render prints it in header lines. */
export const stationIdField = {
  FAXGATE_STATION_ID: z
    .string()
    .trim()
    .regex(/^[0-9+ ]{0,20}$/, 'T.30 §5.3.6.2.4: up to 20 digits, + and spaces')
    .default('')
    .describe('The line pool\'s fax number, e.g. `+1 212 555 0188`: sent as TSI/CSI on calls and printed in the header line of every page (`%%n`). Required with the t38, sip, hylafax and class1 line drivers; render and node must be given the same.'),
};
