import type { Redis } from 'ioredis';

/** A message to the nodes: stop the call of one recipient now (cancel, kill time). */
export interface CallControlMessage {
  action: 'abort';
  faxId: string;
  recipient: number;
  /** The sentence the aborted attempt records. */
  reason: string;
}

/** The Redis pub/sub channel every node of every pool listens on. */
export function callControlChannel(prefix: string): string {
  return `${prefix}:fax-control:calls`;
}

/** The call id prefix of every attempt of a recipient (`<faxId>-r<recipient>-a`), as the node names calls. */
export function callIdPrefix(faxId: string, recipient: number): string {
  return `${faxId}-r${recipient}-a`;
}

/**
 * Tells every node to abort the recipient's call if it runs one. Pub/sub is fire-and-forget: a
 * node that is between reading the record and registering its call re-reads the record after
 * registering (see the node's call worker), so a message it could not act on is not needed.
 */
export async function publishCallControl(redis: Redis, prefix: string, msg: CallControlMessage): Promise<void> {
  await redis.publish(callControlChannel(prefix), JSON.stringify(msg));
}

/**
 * Subscribes a dedicated connection (a subscribed connection can do nothing else) to the call
 * control channel; resolves once the subscription is active, with a function that ends it.
 */
export async function subscribeCallControl(subscriber: Redis, prefix: string, onMessage: (msg: CallControlMessage) => void): Promise<() => Promise<void>> {
  const channel = callControlChannel(prefix);
  subscriber.on('message', (ch: string, text: string) => {
    if (ch !== channel) return;
    let msg: CallControlMessage;
    try {
      msg = JSON.parse(text) as CallControlMessage;
    } catch {
      return;
    }
    if (msg?.action === 'abort' && typeof msg.faxId === 'string' && Number.isInteger(msg.recipient)) onMessage(msg);
  });
  await subscriber.subscribe(channel);
  return async () => {
    await subscriber.unsubscribe(channel).catch(() => {});
    subscriber.disconnect();
  };
}
