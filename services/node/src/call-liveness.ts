import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Whether a call still runs on a live node (issue 17: no page twice). A call job's BullMQ lock
 * can lapse while its call goes on (an event loop late by seconds on an overloaded node misses
 * the renewal), and the job then runs a second time beside the first. A lapsed queue lock is
 * not proof that the node died, so the re-run does not decide on it: while a call runs, its node
 * keeps `<prefix>:call-alive:<callId>` set, with a TTL renewed as long as the call runs; the
 * re-run waits while the key is there and declares the call interrupted only once it lapsed.
 * Each run marks with its own token, so a run that ends late never clears a later run's mark.
 */

// KEYS[1]: the mark. ARGV: the run's token, the TTL (0: delete). Only the run's own mark changes.
const RENEW_OR_CLEAR = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) == 0 then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
`;

export class CallLiveness {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  key(callId: string): string {
    return `${this.prefix}:call-alive:${callId}`;
  }

  /** A new run of the call: its token, for `renew` and `clear`. */
  static token(): string {
    return randomUUID();
  }

  /** The call runs here from now, for `ttlMs` unless renewed. */
  async mark(callId: string, token: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(callId), token, 'PX', ttlMs);
  }

  /** Still running: another `ttlMs`. False when the mark lapsed or belongs to another run. */
  async renew(callId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW_OR_CLEAR, 1, this.key(callId), token, ttlMs)) === 1;
  }

  /** The run ended (its outcome recorded, or it gave the job back): its mark goes. */
  async clear(callId: string, token: string): Promise<void> {
    await this.redis.eval(RENEW_OR_CLEAR, 1, this.key(callId), token, 0);
  }

  /**
   * This run keeps the call marked alive from now: renewed every `everyMs` until `end()`, which
   * clears the mark (the outcome is recorded, or the job given back).
   */
  async keep(callId: string, ttlMs: number, everyMs: number): Promise<{ end: () => Promise<void> }> {
    const token = CallLiveness.token();
    await this.mark(callId, token, ttlMs);
    const timer = setInterval(() => void this.renew(callId, token, ttlMs).catch(() => {}), everyMs);
    let ended = false;
    return {
      end: async () => {
        clearInterval(timer);
        if (ended) return;
        ended = true;
        await this.clear(callId, token);
      },
    };
  }

  /** Whether some run of the call is marked alive now. */
  async alive(callId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(callId))) === 1;
  }
}
