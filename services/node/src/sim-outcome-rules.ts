import { matchesPattern } from '@faxgate/phone';
import type { CallResult } from '@faxgate/line-driver';

/**
 * `error` is not a call result: the driver throws, as it would when the line hardware fails.
 * `voice`: answered by a person or a voice line, no fax tone (a no-carrier call that reports it).
 */
export type SimResult = CallResult | 'error' | 'voice';
export interface SimRule { pattern: string; result: SimResult; afterPages: number; times: number | undefined }

/** Parses FAXGATE_SIM_OUTCOMES: `pattern=outcome[@page][:times]; ...`. */
export function parseSimRules(text: string): SimRule[] {
  const results: SimResult[] = ['success', 'busy', 'no-answer', 'no-carrier', 'failed', 'rejected', 'error', 'voice'];
  return text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      const m = /^(.+?)\s*=\s*([a-z-]+)(?:@(\d+))?(?::(\d+))?$/.exec(spec);
      if (!m || !results.includes(m[2] as SimResult)) throw new Error(`FAXGATE_SIM_OUTCOMES: cannot read "${spec}" (expected pattern=${results.join('|')}[@page][:times])`);
      return { pattern: m[1], result: m[2] as SimResult, afterPages: Number(m[3] ?? 0), times: m[4] === undefined ? undefined : Number(m[4]) };
    });
}

/** The outcome of the n-th call (1-based) to a number: the first matching rule decides. */
export function simOutcomeFor(rules: SimRule[], e164: string, callNumber: number): { result: SimResult; afterPages: number } {
  const rule = rules.find((r) => matchesPattern(e164, r.pattern));
  if (!rule || (rule.times !== undefined && callNumber > rule.times)) return { result: 'success', afterPages: 0 };
  return { result: rule.result, afterPages: rule.afterPages };
}
