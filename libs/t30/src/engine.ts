import { T30Receiver } from './receiver.ts';
import { T30Sender } from './sender.ts';
import type { T30Action, T30Config, T30Event } from './types.ts';

/** A T.30 engine: feed events with handle(), perform the actions it returns. */
export interface T30Engine {
  handle(event: T30Event): T30Action[];
  readonly finished: boolean;
}

/** Creates the engine for `config.role`. It never touches sockets, clocks or files. */
export function createT30Engine(config: T30Config): T30Engine {
  return config.role === 'send' ? new T30Sender(config) : new T30Receiver(config);
}
