/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * A negative check: watches `happened` for `forMs` (a bounded, named time) and fails at once,
 * saying what happened, if it ever returns a value other than undefined/false.
 */
export async function assertNothingFor(what: string, happened: () => Promise<unknown> | unknown, forMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + forMs;
  for (;;) {
    const v = await happened();
    if (v !== undefined && v !== false) throw new Error(`${what} happened within ${forMs} ms: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    if (Date.now() >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(everyMs, Math.max(0, deadline - Date.now()))));
  }
}
