/**
 * The lines of one node: a call takes a free line and gives it back; one call per line. The
 * call worker runs more jobs than there are lines, so that the next calls are ready (records
 * read, number's gate taken, document loaded) when a line frees: those wait here, and a freed
 * line goes straight to the first of them (issues 14/18: line free → next call in
 * milliseconds, not a queue fetch and a chain of Redis round trips). They wait in the order of
 * the calls queue (its BullMQ priority, then first come), not in the order they were fetched:
 * an urgent call fetched after a hundred ready ones takes the next free line.
 */
export class LinePool {
  private readonly free: string[];
  private readonly ids: readonly string[];
  private readonly waiters: Array<{ callId: string; priority: number; resolve: (line: string) => void; reject: (err: Error) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
  readonly busy = new Map<string, { callId: string; since: string }>();

  constructor(pool: string, nodeId: string, count: number) {
    this.ids = Array.from({ length: count }, (_, i) => `${pool}/${nodeId}/${i + 1}`);
    this.free = [...this.ids];
  }

  /** A free line now, or an error: for callers that hold a line slot of the worker already. */
  take(callId: string): string {
    const line = this.free.shift();
    if (!line) throw new Error('no free line although the worker took a call');
    this.busy.set(line, { callId, since: new Date().toISOString() });
    return line;
  }

  /**
   * A line as soon as one is free: the lowest `priority` first (BullMQ's order: 1 is served
   * first, 0 is a job without a priority, which BullMQ serves before any prioritized one; an
   * incoming call asks with 0), first come first served among equals. `signal` withdraws the
   * request (the worker is closing): the promise then rejects and no line is held.
   */
  acquire(callId: string, signal?: AbortSignal, priority = 0): Promise<string> {
    if (signal?.aborted) return Promise.reject(new Error('stopped while waiting for a line'));
    if (this.free.length && this.waiters.length === 0) return Promise.resolve(this.take(callId));
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { callId, priority, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error('stopped while waiting for a line'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      // After every waiter of the same or a more urgent priority; ready calls mostly arrive in
      // the queue's order, so the scan from the end is short.
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1].priority > priority) i--;
      this.waiters.splice(i, 0, w);
    });
  }

  release(line: string): void {
    this.busy.delete(line);
    this.free.push(line);
    const w = this.waiters.shift();
    if (!w) return;
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    w.resolve(this.take(w.callId));
  }

  /** Every line of the node, free or busy, in a fixed order. */
  get all(): readonly string[] {
    return this.ids;
  }

  /** Calls ready to start, waiting for a line. */
  get waiting(): number {
    return this.waiters.length;
  }

  get size(): number {
    return this.ids.length;
  }
}
