// Drives a sans-IO SIP core in simulated time: performs its actions (sends are recorded,
// timers kept in a table) and fires due timers in order as time advances.
import type { Action, Peer } from '../src/actions.ts';
import type { SipMessage } from '../src/message.ts';

export interface Sent {
  at: number;
  to: Peer;
  message: SipMessage;
}

export class FakeClock<E> {
  now = 0;
  readonly timers = new Map<string, number>();
  readonly sent: Sent[] = [];
  readonly events: Array<{ at: number; event: E }> = [];
  private readonly tick: (id: string) => Action<E>[];

  constructor(tick: (id: string) => Action<E>[]) {
    this.tick = tick;
  }

  apply(actions: Action<E>[]): Action<E>[] {
    for (const a of actions) {
      if (a.type === 'send') this.sent.push({ at: this.now, to: a.to, message: a.message });
      else if (a.type === 'timer') this.timers.set(a.id, this.now + a.ms);
      else if (a.type === 'cancel-timer') this.timers.delete(a.id);
      else this.events.push({ at: this.now, event: a.event });
    }
    return actions;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: [string, number] | undefined;
      for (const e of this.timers) if (e[1] <= end && (!next || e[1] < next[1])) next = e;
      if (!next) break;
      this.now = next[1];
      this.timers.delete(next[0]);
      this.apply(this.tick(next[0]));
    }
    this.now = end;
  }

  /** Sends of one method (requests) or status (responses) so far. */
  sends(what: string | number): Sent[] {
    return this.sent.filter((s) => (typeof what === 'number' ? s.message.kind === 'response' && s.message.status === what : s.message.kind === 'request' && s.message.method === what));
  }
}
