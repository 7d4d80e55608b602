import type { Redis } from 'ioredis';

/**
 * The calls a sender has queued or on the line, one member per recipient (`<faxId>/<index>`),
 * scored by when it was queued. Dispatch ranks a sender's next call behind its own queued ones
 * (fairness among equal priorities); cancel and hold take members out. Members older than a day
 * are dropped when the set is read, so a member lost by a crash cannot weigh on a sender for ever.
 */
export function senderQueueKey(prefix: string, sender: string): string {
  return `${prefix}:dispatch:sender-queued:${sender.toLowerCase()}`;
}

export const SENDER_QUEUE_MAX_AGE_MS = 86_400_000;

export function senderQueueMember(faxId: string, recipient: number): string {
  return `${faxId}/${recipient}`;
}

/** Takes a recipient's call out of its sender's queued set (idempotent). */
export async function dropQueuedCall(redis: Redis, prefix: string, sender: string, faxId: string, recipient: number): Promise<void> {
  await redis.zrem(senderQueueKey(prefix, sender), senderQueueMember(faxId, recipient));
}
