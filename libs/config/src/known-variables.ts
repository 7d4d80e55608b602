/**
 * Every FAXGATE_* variable any role reads (the union of the schemas, as in the generated table
 * of docs/configuration.md). A process running one role does not load the others' code, so it
 * checks the environment against this list to call out a typo without warning about variables
 * meant for other roles (one ConfigMap usually feeds them all). services/cli's
 * known-variables test keeps it equal to the schemas.
 */
export const KNOWN_VARIABLES: readonly string[] = [
  'FAXGATE_AUTH_LOCKOUT',
  'FAXGATE_AUTH_MAX_FAILURES',
  'FAXGATE_BATCH_ENABLED',
  'FAXGATE_BATCH_MAX_FAXES',
  'FAXGATE_BATCH_MAX_PAGES',
  'FAXGATE_CONSOLE_PASSWORD',
  'FAXGATE_CONSOLE_POOLS',
  'FAXGATE_CONSOLE_TOKEN',
  'FAXGATE_CONSOLE_USER',
  'FAXGATE_COVER_KEYWORD',
  'FAXGATE_COVER_PAGE',
  'FAXGATE_COVER_TEMPLATE_DIR',
  'FAXGATE_COVER_TEMPLATES',
  'FAXGATE_COVER_NOTICE',
  'FAXGATE_COVER_TIMEZONE',
  'FAXGATE_DATA_DIR',
  'FAXGATE_DEFAULT_COUNTRY',
  'FAXGATE_DESTINATION_FAILURE_WINDOW',
  'FAXGATE_DESTINATION_HOLD',
  'FAXGATE_DESTINATION_MAX_CALLS',
  'FAXGATE_DESTINATION_MAX_FAILURES',
  'FAXGATE_DIAL_ALLOW',
  'FAXGATE_DIAL_COSTLY_ALLOW',
  'FAXGATE_DIAL_DENY',
  'FAXGATE_DIAL_INTERNATIONAL',
  'FAXGATE_DIAL_INTERNATIONAL_PREFIX',
  'FAXGATE_DIAL_OUTSIDE_PREFIX',
  'FAXGATE_DIRECTORY',
  'FAXGATE_DIRECTORY_POLL',
  'FAXGATE_DISPATCH_CONCURRENCY',
  'FAXGATE_DISPATCH_KILL_AFTER',
  'FAXGATE_DISPATCH_POOL',
  'FAXGATE_FAX_DOMAINS',
  'FAXGATE_HTTP_HOST',
  'FAXGATE_HTTP_PORT',
  'FAXGATE_HYLAFAX_ADMIN_PASSWORD',
  'FAXGATE_HYLAFAX_ADMIN_PASSWORD_FILE',
  'FAXGATE_HYLAFAX_DID_CALLID',
  'FAXGATE_HYLAFAX_HOST',
  'FAXGATE_HYLAFAX_MODEM',
  'FAXGATE_HYLAFAX_PASSWORD',
  'FAXGATE_HYLAFAX_PASSWORD_FILE',
  'FAXGATE_HYLAFAX_POLL_INTERVAL',
  'FAXGATE_HYLAFAX_PORT',
  'FAXGATE_HYLAFAX_PROCESSED',
  'FAXGATE_HYLAFAX_START_TIMEOUT',
  'FAXGATE_HYLAFAX_USER',
  'FAXGATE_INBOUND_CONCURRENCY',
  'FAXGATE_INBOUND_MAIL_ATTEMPTS',
  'FAXGATE_INBOUND_UNADDRESSED',
  'FAXGATE_JOB_BACKOFF',
  'FAXGATE_LOG_LEVEL',
  'FAXGATE_LONG_PAGES',
  'FAXGATE_MAIL_FROM',
  'FAXGATE_METRICS_TOKEN',
  'FAXGATE_MODEM_ANSWER',
  'FAXGATE_MODEM_CHECK_INTERVAL',
  'FAXGATE_MODEM_CODINGS',
  'FAXGATE_MODEM_CONNECT_DELAY',
  'FAXGATE_MODEM_DEVICES',
  'FAXGATE_MODEM_DIAL_CMD',
  'FAXGATE_MODEM_DIAL_TIMEOUT',
  'FAXGATE_MODEM_DID',
  'FAXGATE_MODEM_ECM',
  'FAXGATE_MODEM_INIT_CMDS',
  'FAXGATE_MODEM_LOCAL_ID',
  'FAXGATE_MODEM_MODULATIONS',
  'FAXGATE_MODEM_PPM_WAIT_CMD',
  'FAXGATE_MODEM_RESET_CMDS',
  'FAXGATE_MODEM_RINGS',
  'FAXGATE_MODEM_SWITCHING_CMD',
  'FAXGATE_MODEM_TCF_RECV_TIMEOUT',
  'FAXGATE_MODEM_TCF_WAIT_CMD',
  'FAXGATE_NODE_DRIVER',
  'FAXGATE_NODE_ID',
  'FAXGATE_NODE_LINES',
  'FAXGATE_NODE_POOL',
  'FAXGATE_NOTIFY_BROADCAST',
  'FAXGATE_NOTIFY_CONCURRENCY',
  'FAXGATE_NOTIFY_DELAY_WARNING',
  'FAXGATE_PAPER',
  'FAXGATE_POSTMASTER',
  'FAXGATE_PRIORITY_SENDERS',
  'FAXGATE_QUEUE_PREFIX',
  'FAXGATE_QUIET_HOURS',
  'FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR',
  'FAXGATE_QUOTA_DOMAIN_PAGES_PER_DAY',
  'FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR',
  'FAXGATE_QUOTA_SENDER_PAGES_PER_DAY',
  'FAXGATE_RECONCILE_INTERVAL',
  'FAXGATE_REDIS_URL',
  'FAXGATE_RENDER_CONCURRENCY',
  'FAXGATE_RENDER_MAX_PAGES',
  'FAXGATE_RENDER_MAX_PIXELS',
  'FAXGATE_RENDER_MEMORY_MB',
  'FAXGATE_RENDER_OFFICE',
  'FAXGATE_RENDER_PHOTO_DITHER',
  'FAXGATE_RENDER_PREFER',
  'FAXGATE_RENDER_TIMEOUT',
  'FAXGATE_REPORTING_MTA',
  'FAXGATE_RESOLUTION',
  'FAXGATE_RESULT_ATTACH_PDF',
  'FAXGATE_RESULT_MAIL_ON_SUCCESS',
  'FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS',
  'FAXGATE_RESULT_MAIL_UNVERIFIED',
  'FAXGATE_RETENTION_INTERVAL',
  'FAXGATE_RETENTION_MESSAGES',
  'FAXGATE_RETENTION_RECEIVED',
  'FAXGATE_RETENTION_RECORDS',
  'FAXGATE_RETENTION_RENDERED',
  'FAXGATE_RETRY_BUSY_DELAY',
  'FAXGATE_RETRY_FAILED_DELAY',
  'FAXGATE_RETRY_MAX_DIALS',
  'FAXGATE_RETRY_MAX_TRIES',
  'FAXGATE_RETRY_NO_ANSWER_DELAY',
  'FAXGATE_RETRY_RESUME',
  'FAXGATE_SENDERS_ALLOW',
  'FAXGATE_SENDERS_DENY',
  'FAXGATE_SENDER_DIRECTORY',
  'FAXGATE_SHUTDOWN_TIMEOUT',
  'FAXGATE_SIM_BITRATE',
  'FAXGATE_SIM_OUTCOMES',
  'FAXGATE_SIM_REMOTE_ID',
  'FAXGATE_SIM_RING_TIME',
  'FAXGATE_SIM_TIME_SCALE',
  'FAXGATE_SIP_ADVERTISED_HOST',
  'FAXGATE_SIP_ADVERTISED_PORT',
  'FAXGATE_SIP_ASSERTED_IDENTITY',
  'FAXGATE_SIP_BIND_HOST',
  'FAXGATE_SIP_CALLER_ID',
  'FAXGATE_SIP_CALLS_PER_SECOND',
  'FAXGATE_SIP_DIAL_FORMAT',
  'FAXGATE_SIP_FROM_DOMAIN',
  'FAXGATE_SIP_KEEPALIVE',
  'FAXGATE_SIP_MAX_CALLS',
  'FAXGATE_SIP_MEDIA',
  'FAXGATE_SIP_MEDIA_PORTS',
  'FAXGATE_SIP_OUTBOUND_PROXY',
  'FAXGATE_SIP_PASSWORD',
  'FAXGATE_SIP_PASSWORD_FILE',
  'FAXGATE_SIP_PORT',
  'FAXGATE_SIP_REGISTER_EXPIRES',
  'FAXGATE_SIP_REGISTRAR',
  'FAXGATE_SIP_RING_TIMEOUT',
  'FAXGATE_SIP_T38_WAIT',
  'FAXGATE_SIP_TLS_CA_FILE',
  'FAXGATE_SIP_TLS_CERT_FILE',
  'FAXGATE_SIP_TLS_KEY_FILE',
  'FAXGATE_SIP_TRANSPORT',
  'FAXGATE_SIP_USERNAME',
  'FAXGATE_SMARTHOST',
  'FAXGATE_SMTP_AUTH_MAX_TRIES',
  'FAXGATE_SMTP_CLIENT_NETWORKS',
  'FAXGATE_SMTP_DATA_TIMEOUT',
  'FAXGATE_SMTP_DUPLICATE_WINDOW',
  'FAXGATE_SMTP_HOST',
  'FAXGATE_SMTP_HOSTNAME',
  'FAXGATE_SMTP_MAX_CONNECTIONS',
  'FAXGATE_SMTP_MAX_CONNECTIONS_PER_CLIENT',
  'FAXGATE_SMTP_MAX_RECIPIENTS',
  'FAXGATE_SMTP_MAX_SIZE',
  'FAXGATE_SMTP_PORT',
  'FAXGATE_SMTP_REQUIRE_AUTH',
  'FAXGATE_SMTP_TLS_CERT',
  'FAXGATE_SMTP_TLS_KEY',
  'FAXGATE_SMTP_USERS_FILE',
  'FAXGATE_STATION_ID',
  'FAXGATE_T38_ECM',
  'FAXGATE_T38_LOCAL_ID',
  'FAXGATE_T38_PEER',
  'FAXGATE_T38_RECEIVE_DID',
  'FAXGATE_T38_RECEIVE_HOST',
  'FAXGATE_T38_RECEIVE_PORT',
  'FAXGATE_T38_REDUNDANCY',
  'FAXGATE_TAGLINE',
  'FAXGATE_WEBHOOK_ALLOW_PRIVATE',
];

export interface UnknownVariable {
  name: string;
  /** The known variable nearest in spelling, when one is near enough to be the intended one. */
  closest?: string;
}

/** FAXGATE_* variables in `env` that no role reads, each with the known name it most likely means. */
export function unknownVariables(env: NodeJS.ProcessEnv, known: Iterable<string> = KNOWN_VARIABLES): UnknownVariable[] {
  const names = new Set(known);
  const out: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('FAXGATE_') || names.has(name)) continue;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of names) {
      const d = editDistance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    // A few edits within the part after FAXGATE_: a typo, not a different variable.
    const limit = Math.max(2, Math.floor((name.length - 'FAXGATE_'.length) / 4));
    out.push(bestDistance <= limit && best ? { name, closest: best } : { name });
  }
  return out;
}

/** One sentence per unknown variable, for the start-up log. */
export function describeUnknownVariable(u: UnknownVariable): string {
  return `${u.name} is not a faxgate variable and is ignored${u.closest ? ` (did you mean ${u.closest}?)` : ''}`;
}

/** Levenshtein distance, with a transposition counted as one edit (SMTP_PROT for SMTP_PORT). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
