/**
 * The lines of one node: a call takes a free line and gives it back; one call per line. The
 * call worker runs a few more jobs than there are lines, so that the next calls are ready
 * (records read, number's gate taken, document loaded) when a line frees: those wait here, in
 * the order they asked, and a freed line goes straight to the oldest (issue 18: line free →
 * next call in milliseconds, not a queue fetch and a chain of Redis round trips).
 */
export class LinePool {
  private readonly free: string[];
  private readonly ids: readonly string[];
  private readonly waiters: Array<{ callId: string; resolve: (line: string) => void; reject: (err: Error) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
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
   * A line as soon as one is free, first come first served. `signal` withdraws the request
   * (the worker is closing): the promise then rejects and no line is held.
   */
  acquire(callId: string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(new Error('stopped while waiting for a line'));
    if (this.free.length && this.waiters.length === 0) return Promise.resolve(this.take(callId));
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { callId, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error('stopped while waiting for a line'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
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
