import type { Logger } from 'pino';

/** How often one repeating problem (Redis away, a worker reconnecting) is logged again. */
export const REPEAT_LOG_MS = 60_000;

export type ThrottledLog = (level: 'warn' | 'error', key: string, fields: object, msg: string) => void;

/**
 * Logs a repeating problem once, then at most once per `everyMs` with the number of times it
 * happened in between: a Redis that is down for ten minutes is a handful of lines, not one per
 * reconnect attempt (1,260 were measured). Distinct keys are throttled separately.
 */
export function createLogThrottle(log: Logger, everyMs = REPEAT_LOG_MS): ThrottledLog {
  const seen = new Map<string, { last: number; suppressed: number }>();
  return (level, key, fields, msg) => {
    const now = Date.now();
    const s = seen.get(key);
    if (s && now - s.last < everyMs) {
      s.suppressed++;
      return;
    }
    log[level]({ ...fields, ...(s?.suppressed ? { repeated: s.suppressed, sinceMs: now - s.last } : {}) }, msg);
    seen.set(key, { last: now, suppressed: 0 });
  };
}
