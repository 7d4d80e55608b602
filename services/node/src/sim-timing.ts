/**
 * How long the parts of a fax call take on a real line, for the simulated line in both
 * directions: T.30 phase B (DIS, DCS, TCF, CFR), the post-page exchange (MPS/EOP → MCF) and
 * phase E (DCN); a busy tone and an unanswered ring before the caller gives up.
 */
export const SIM_PHASE_B_MS = 6000;
export const SIM_POST_PAGE_MS = 1500;
export const SIM_PHASE_E_MS = 1500;
export const SIM_NO_ANSWER_MS = 45_000;
export const SIM_BUSY_MS = 4000;

/** Waits as the simulated call would, ending early (rejecting) when the call is aborted. */
export function simSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('call aborted'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('call aborted'));
    }, { once: true });
  });
}
