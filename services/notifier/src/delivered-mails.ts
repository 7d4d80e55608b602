import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Mailer, MailMessage, SentMail } from '@faxgate/mail';

/** A send the guard answered from its record: the smarthost had accepted this mail before. */
export interface GuardedSent extends SentMail {
  /** When the smarthost accepted it, for a mail not sent again; absent for a mail sent now. */
  deliveredBefore?: string;
}

export interface GuardedMailer {
  send(message: MailMessage): Promise<GuardedSent>;
}

/** The domain of a From address (`"faxgate" <faxgate@fax.example>` → `fax.example`): the right-hand side of the gateway's Message-IDs. */
export function mailDomain(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'faxgate.invalid';
}

/** How many recorded deliveries the process also keeps in memory (for a Redis that is away when one is recorded). */
const MEMORY_ENTRIES = 10_000;

/**
 * The record of every mail the smarthost accepted, by Message-ID (issue 17: exactly one result
 * mail per recipient). SMTP hands a message over with the 250 to its DATA (RFC 5321 §4.1.1.4,
 * §6.1: from then on the smarthost is responsible for it) and nothing the client does after it
 * is part of the transaction, so a notifier killed between that 250 and its job's completion
 * sent the same mail again on the retry. The delivery is now written to Redis as the first thing
 * after the 250, before the job's own records, and every send looks it up first: what is left
 * is the round trip of that one write (a kill between the 250 arriving and Redis having the
 * key), and RFC 1047's own window (a 250 lost on its way back, which no client can tell from a
 * mail never accepted). The key lives longer than any retry of the job (see `retentionMs`).
 *
 * Where the write fails (Redis away at that instant) the delivery is kept in this process's
 * memory: a retry in the same process still skips the mail, but a retry in another one (this
 * process killed too before Redis came back) sends it again. docs/crash-safety.md says so.
 */
export class DeliveredMails {
  private readonly memory = new Map<string, string>();
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(redis: Redis, prefix: string, ttlMs: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttlMs = ttlMs;
  }

  private key(messageId: string): string {
    return `${this.prefix}:mail-delivered:${messageId}`;
  }

  /** The record of an accepted mail (JSON of the SentMail and when), or undefined. */
  async find(messageId: string): Promise<(SentMail & { at: string }) | undefined> {
    const raw = this.memory.get(messageId) ?? (await this.redis.get(this.key(messageId)));
    return raw ? (JSON.parse(raw) as SentMail & { at: string }) : undefined;
  }

  /** Records an accepted mail; throws when Redis did not take it (the memory has it anyway). */
  async record(messageId: string, sent: SentMail): Promise<void> {
    const value = JSON.stringify({ ...sent, at: new Date().toISOString() });
    this.memory.set(messageId, value);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
    await this.redis.set(this.key(messageId), value, 'PX', this.ttlMs);
  }

  /**
   * A mailer that sends a mail only when no delivery of its Message-ID is recorded, and records
   * one on the smarthost's 250 before it returns. Every mail the notifier sends passes here, so
   * each needs a Message-ID that is the same when its job runs again.
   */
  guard(mailer: Mailer, log: Logger): GuardedMailer {
    return {
      send: async (message) => {
        const messageId = message.messageId;
        if (!messageId) throw new Error('a mail without a Message-ID cannot be guarded against a second delivery');
        const earlier = await this.find(messageId);
        if (earlier) {
          log.info({ messageId, deliveredAt: earlier.at }, 'mail already accepted by the smarthost before a restart; not sent again');
          return { messageId, via: earlier.via, location: earlier.location, deliveredBefore: earlier.at };
        }
        const sent = await mailer.send(message);
        try {
          await this.record(messageId, sent);
        } catch (err) {
          log.error({ messageId, err: (err as Error).message }, 'mail delivered but its delivery could not be recorded in Redis: a retry in another process would send it again');
        }
        return sent;
      },
    };
  }
}

/**
 * How long a delivery is remembered: past the last retry of any mail job (12 tries, 11 backoffs
 * doubling from FAXGATE_JOB_BACKOFF: 5 s gives about 2.8 h from the first try to the last, 3.7 h
 * with BullMQ's jitter), with a week as the floor so that a job retried by hand from the console
 * within a week is covered too.
 */
export function retentionMs(backoffMs: number, attempts = 12): number {
  const horizon = backoffMs * (2 ** (attempts - 1) - 1) * 1.3; // jitter up to 30 %
  return Math.max(7 * 86_400_000, 2 * horizon);
}
