import type { Redis } from 'ioredis';

/**
 * Who sends each call (batching, issue 14). Every call id has a claim key naming the call that
 * carries it: its own call, or another fax's call to the same number that took it along. Claims
 * are set with SET NX, so a fax is claimed once, either by itself or by one batch, never both.
 * They live as long as the destination lease and are renewed with it: a node that dies lets its
 * batch's claims lapse, and each fax's own job then resumes it alone.
 */

// KEYS: waiting set, the batch's member list, then one claim key per candidate.
// ARGV: the carrying call id, the lease, then the candidates (waiting-set members).
const CLAIM = `
local out = {}
for i = 3, #KEYS do
  local member = ARGV[i]
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then
    redis.call('RPUSH', KEYS[2], member)
    out[#out + 1] = member
  end
  redis.call('ZREM', KEYS[1], member)
end
redis.call('PEXPIRE', KEYS[2], 86400000)
return out
`;

// KEYS[1]: the claim key. ARGV: the call id, the lease. The owner, after claiming it if free.
const CLAIM_SELF = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return ARGV[1]
end
return v
`;

// KEYS: claim keys. ARGV: the owner, the lease (0: delete). Only the owner's claims change.
const RENEW_OR_RELEASE = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2])) else redis.call('DEL', KEYS[i]) end
    n = n + 1
  end
end
return n
`;

/** A fax waiting for its number: what a batch needs to take it along. */
export interface WaitingCall {
  faxId: string;
  recipient: number;
  attempt: number;
  fromPage: number;
}

export function callIdOf(w: Pick<WaitingCall, 'faxId' | 'recipient' | 'attempt'>): string {
  return `${w.faxId}-r${w.recipient}-a${w.attempt}`;
}

const memberOf = (w: WaitingCall) => `${w.faxId} ${w.recipient} ${w.attempt} ${w.fromPage}`;
function parseMember(m: string): WaitingCall {
  const [faxId, recipient, attempt, fromPage] = m.split(' ');
  return { faxId, recipient: Number(recipient), attempt: Number(attempt), fromPage: Number(fromPage) };
}

export class BatchClaims {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:batch`;
  }

  private waitingKey(number: string) {
    return `${this.prefix}:waiting:${number}`;
  }
  private claimKey(callId: string) {
    return `${this.prefix}:claim:${callId}`;
  }
  private membersKey(callId: string) {
    return `${this.prefix}:members:${callId}`;
  }

  /** The call that carries `callId`, or undefined when nobody claimed it. */
  async owner(callId: string): Promise<string | undefined> {
    return (await this.redis.get(this.claimKey(callId))) ?? undefined;
  }

  /** Claims the call for itself unless a batch has it; returns the owner either way. */
  async claimSelf(callId: string, leaseMs: number): Promise<string> {
    return String(await this.redis.eval(CLAIM_SELF, 1, this.claimKey(callId), callId, leaseMs));
  }

  /**
   * Says the fax is due and waits for its number; its score is when it last said so, and only
   * those seen within `freshMs` are taken along (a fax that stopped waiting fades out).
   */
  async wait(number: string, w: WaitingCall): Promise<void> {
    await this.redis.multi().zadd(this.waitingKey(number), Date.now(), memberOf(w)).pexpire(this.waitingKey(number), 86_400_000).exec();
  }

  async stopWaiting(number: string, w: WaitingCall): Promise<void> {
    await this.redis.zrem(this.waitingKey(number), memberOf(w));
  }

  /** The faxes waiting for the number now, oldest fax first (fax ids are time-ordered). */
  async waiting(number: string, freshMs: number): Promise<WaitingCall[]> {
    const key = this.waitingKey(number);
    await this.redis.zremrangebyscore(key, '-inf', Date.now() - freshMs);
    const members = await this.redis.zrange(key, 0, -1);
    return members.map(parseMember).sort((a, b) => (a.faxId < b.faxId ? -1 : a.faxId > b.faxId ? 1 : a.recipient - b.recipient));
  }

  /**
   * Claims the candidates for the call `leadCallId`, atomically: each one is claimed by this
   * call or not at all, and the ones claimed are listed under the call, so the re-run of a call
   * whose node died finds every fax it took along. Returns the claimed ones, in order.
   */
  async claim(number: string, leadCallId: string, candidates: WaitingCall[], leaseMs: number): Promise<WaitingCall[]> {
    if (candidates.length === 0) return [];
    const keys = [this.waitingKey(number), this.membersKey(leadCallId), ...candidates.map((c) => this.claimKey(callIdOf(c)))];
    const got = (await this.redis.eval(CLAIM, keys.length, ...keys, leadCallId, leaseMs, ...candidates.map(memberOf))) as string[];
    return got.map(parseMember);
  }

  /** Every fax the call `leadCallId` ever took along (its batch, for a re-run after a crash). */
  async members(leadCallId: string): Promise<WaitingCall[]> {
    return (await this.redis.lrange(this.membersKey(leadCallId), 0, -1)).map(parseMember);
  }

  /** Extends the claims `owner` holds on these calls, as the destination lease is renewed. */
  async renew(owner: string, callIds: string[], leaseMs: number): Promise<void> {
    if (callIds.length) await this.redis.eval(RENEW_OR_RELEASE, callIds.length, ...callIds.map((c) => this.claimKey(c)), owner, leaseMs);
  }

  /** Gives the calls back: each one's own job sends it (or has found its outcome recorded). */
  async release(owner: string, callIds: string[]): Promise<void> {
    if (callIds.length) await this.redis.eval(RENEW_OR_RELEASE, callIds.length, ...callIds.map((c) => this.claimKey(c)), owner, 0);
  }

  /** Forgets the batch's member list once every member has its outcome. */
  async forget(leadCallId: string): Promise<void> {
    await this.redis.del(this.membersKey(leadCallId));
  }
}
