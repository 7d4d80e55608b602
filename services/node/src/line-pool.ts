/** The lines of one node: a call takes a free line and gives it back; one call per line. */
export class LinePool {
  private readonly free: string[];
  readonly busy = new Map<string, { callId: string; since: string }>();

  constructor(pool: string, nodeId: string, count: number) {
    this.free = Array.from({ length: count }, (_, i) => `${pool}/${nodeId}/${i + 1}`);
  }

  take(callId: string): string {
    const line = this.free.shift();
    // The worker's concurrency equals the line count, so this cannot happen unless they drift.
    if (!line) throw new Error('no free line although the worker took a call');
    this.busy.set(line, { callId, since: new Date().toISOString() });
    return line;
  }

  release(line: string): void {
    this.busy.delete(line);
    this.free.push(line);
  }

  get size(): number {
    return this.free.length + this.busy.size;
  }
}
