/**
 * Open SMTP sessions per client address, so one address cannot take every session the server
 * allows (smtp-server's maxClients caps the total). Sessions are counted from an accepted
 * connect to its close.
 */
export class ConnectionLimits {
  private readonly perClient: number;
  private readonly open_ = new Map<string, number>();
  private readonly sessions = new Map<string, string>();

  constructor(perClient: number) {
    this.perClient = perClient;
  }

  /** Counts a new session; false (and not counted) when its address already has the most allowed. */
  open(sessionId: string, client: string): boolean {
    const n = this.open_.get(client) ?? 0;
    if (n >= this.perClient) return false;
    this.open_.set(client, n + 1);
    this.sessions.set(sessionId, client);
    return true;
  }

  close(sessionId: string): void {
    const client = this.sessions.get(sessionId);
    if (client === undefined) return;
    this.sessions.delete(sessionId);
    const n = (this.open_.get(client) ?? 1) - 1;
    if (n <= 0) this.open_.delete(client);
    else this.open_.set(client, n);
  }

  /** Sessions open now from one address. */
  count(client: string): number {
    return this.open_.get(client) ?? 0;
  }
}
