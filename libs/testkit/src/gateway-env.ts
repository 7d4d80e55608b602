import { randomUUID } from 'node:crypto';

/**
 * The environment of a gateway under test: its own queue prefix, loopback only, ports chosen
 * by the OS, quiet logs, the simulated line 1000× fast and short backoffs. Tests add or
 * override what they are about.
 */
export function testGatewayEnv(opts: { redisUrl: string; dataDir: string; smarthost?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FAXGATE_REDIS_URL: opts.redisUrl,
    FAXGATE_QUEUE_PREFIX: `test-${randomUUID()}`,
    FAXGATE_DATA_DIR: opts.dataDir,
    FAXGATE_HTTP_HOST: '127.0.0.1',
    FAXGATE_HTTP_PORT: '0',
    FAXGATE_SMTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_PORT: '0',
    FAXGATE_LOG_LEVEL: 'silent',
    FAXGATE_SIM_TIME_SCALE: '0.001',
    FAXGATE_JOB_BACKOFF: '100ms',
    ...(opts.smarthost ? { FAXGATE_SMARTHOST: opts.smarthost } : {}),
    ...extra,
  };
}

/**
 * The environment of `faxgate run <roles>` processes under test (startRoleProcess): loopback
 * only, own queue prefix, and a fixed SMTP port, since a child process cannot tell the test a
 * port the OS chose; logs at warn, so a failure message carries what went wrong.
 */
export function roleProcessEnv(opts: { redisUrl: string; dataDir: string; smarthost: string; smtpPort: number; prefix?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FAXGATE_REDIS_URL: opts.redisUrl,
    FAXGATE_QUEUE_PREFIX: opts.prefix ?? `test-${randomUUID()}`,
    FAXGATE_DATA_DIR: opts.dataDir,
    FAXGATE_HTTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_PORT: String(opts.smtpPort),
    FAXGATE_SMARTHOST: opts.smarthost,
    FAXGATE_FAX_DOMAINS: 'fax.test',
    FAXGATE_LOG_LEVEL: 'warn',
    FAXGATE_JOB_BACKOFF: '100ms',
    ...extra,
  };
}
