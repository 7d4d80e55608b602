import type { Redis } from 'ioredis';
import { SENDER_QUEUE_MAX_AGE_MS, senderQueueKey, senderQueueMember } from '@faxgate/fax-control';
import type { FaxPriority } from '@faxgate/store';
import { PRIORITIES } from './fax-schedule.ts';

/**
 * BullMQ priorities of call jobs (1 is served first, at most 2^21): one band per priority class,
 * and within a band the call's rank among its sender's queued calls. A 500-recipient broadcast
 * takes ranks 0..499, another sender's fax rank 0: it goes out with the broadcast's first call,
 * not after its last (round-robin among senders); an urgent fax is ahead of every normal one.
 */
const BAND = 100_000;

export function bullPriority(priority: FaxPriority, rank: number): number {
  return 1 + PRIORITIES.indexOf(priority) * BAND + Math.min(Math.max(rank, 0), BAND - 1);
}

/**
 * Counts the call as queued for its sender and returns its rank among the sender's queued calls
 * (members older than a day are dropped first, so a member a crash left behind fades away).
 */
export async function rankAmongSender(redis: Redis, prefix: string, sender: string, faxId: string, recipient: number, now = Date.now()): Promise<number> {
  const key = senderQueueKey(prefix, sender);
  const member = senderQueueMember(faxId, recipient);
  const res = await redis.multi().zremrangebyscore(key, '-inf', now - SENDER_QUEUE_MAX_AGE_MS).zadd(key, 'NX', now, member).zrank(key, member).pexpire(key, SENDER_QUEUE_MAX_AGE_MS).exec();
  return Number(res?.[2]?.[1] ?? 0);
}
