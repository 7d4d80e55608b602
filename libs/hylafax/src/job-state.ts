/**
 * Job states as HylaFAX records them: the `state` number of a job description file (sendq(5))
 * and the one-letter symbol of JOBFMT %a, in the same order.
 */
export const JOB_STATES = ['unknown', 'suspended', 'pending', 'sleeping', 'blocked', 'ready', 'active', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

const SYMBOLS = '?TPSBWRDF';

/** The state for a sendq(5) `state:` number. */
export function jobStateFromNumber(n: number): JobState {
  return JOB_STATES[n] ?? 'unknown';
}

/** The state for a JOBFMT %a symbol. */
export function jobStateFromSymbol(symbol: string): JobState {
  const i = SYMBOLS.indexOf(symbol.trim());
  return i < 0 ? 'unknown' : JOB_STATES[i];
}

/** True once HylaFAX will do nothing more with the job. */
export function isFinalJobState(state: JobState): boolean {
  return state === 'done' || state === 'failed';
}
