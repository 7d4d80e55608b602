// What the sans-IO SIP core asks of its transport adapter: send a message, start or stop a
// timer. Every input (a received message, a timer tick, a command) returns the actions it
// caused; the adapter performs them and feeds back what happens.
import type { SipMessage } from './message.ts';

/** RFC 3261 §18: UDP, TCP, and TLS over TCP (§26.2.1: the Via and `transport=tls` name it TLS). */
export type TransportName = 'UDP' | 'TCP' | 'TLS';

/** Where a message goes or came from. */
export interface Peer {
  host: string;
  port: number;
  transport: TransportName;
}

export type Action<E = never> =
  | { type: 'send'; to: Peer; message: SipMessage }
  /** Start (or restart) timer `id`; the adapter calls `tick(id)` after `ms`. */
  | { type: 'timer'; id: string; ms: number }
  | { type: 'cancel-timer'; id: string }
  | { type: 'event'; event: E };

/** Collects actions while one input is processed. */
export class Outbox<E> {
  private actions: Action<E>[] = [];
  send(to: Peer, message: SipMessage): void {
    this.actions.push({ type: 'send', to, message });
  }
  timer(id: string, ms: number): void {
    this.actions.push({ type: 'timer', id, ms });
  }
  cancel(id: string): void {
    this.actions.push({ type: 'cancel-timer', id });
  }
  emit(event: E): void {
    this.actions.push({ type: 'event', event });
  }
  take(): Action<E>[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }
}

/** RFC 3261 §17.1.1.1 timer values: T1 (RTT estimate), T2 (max non-INVITE retransmit), T4 (max lifetime in network). */
export interface SipTimers {
  T1: number;
  T2: number;
  T4: number;
}
export const DEFAULT_TIMERS: SipTimers = { T1: 500, T2: 4000, T4: 5000 };
