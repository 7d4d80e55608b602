import type { ChainableCommander, Redis } from 'ioredis';
import type { CallObservation, DestinationPolicy, DestinationRecord } from './destination-record.ts';
import { MAX_FAILURE_TIMES } from './destination-record.ts';

/** Why a number is not dialled now, for the sender. */
export interface DialRefusal {
  code: 'DESTINATION_BLOCKED' | 'DESTINATION_HELD';
  detail: string;
  until?: string;
}

/** Adds commands to the MULTI of a change (an audit line written exactly when the change is). */
export type AlsoInMulti = (m: ChainableCommander) => void;

const FAILED = new Set(['no-answer', 'no-carrier', 'failed', 'rejected']);

/** How long a learned call is remembered, so a re-run outcome job does not count it twice. */
const LEARNED_TTL_S = 7 * 86400;

/**
 * Compare and set of one learned call. KEYS: the number's record, the index by last call, the
 * call's learned mark. ARGV: whether a record was read ('1') and its text, the new text, the
 * index score, the number, the mark's TTL. Returns 1 written, 0 the record changed since it was
 * read (read again), -1 the call was learned already.
 */
const LEARN = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('SET', KEYS[3], '1', 'EX', ARGV[6])
return 1
`;

/**
 * Destination memory in Redis: one JSON value per number (`<prefix>:dest:<number>`), and a
 * sorted set of numbers by last call for listing. Calls to one number are serialised by the
 * destination gate, so optimistic read-modify-write is enough for the rare concurrent update:
 * WATCH for an admin's change, a compare-and-set script for a call learned (see `learn`).
 */
export class Destinations {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, queuePrefix: string) {
    this.redis = redis;
    this.prefix = `${queuePrefix}:dest`;
  }

  private key(number: string) {
    return `${this.prefix}:n:${number}`;
  }
  private get indexKey() {
    return `${this.prefix}:index`;
  }
  private learnedKey(callId: string) {
    return `${this.prefix}:learned:${callId}`;
  }

  async get(number: string): Promise<DestinationRecord | undefined> {
    const text = await this.redis.get(this.key(number));
    return text ? (JSON.parse(text) as DestinationRecord) : undefined;
  }

  /** Numbers known, most recently called first. */
  async list(limit = 100, offset = 0): Promise<DestinationRecord[]> {
    const numbers = await this.redis.zrevrange(this.indexKey, offset, offset + limit - 1);
    const out: DestinationRecord[] = [];
    for (const n of numbers) {
      const d = await this.get(n);
      if (d) out.push(d);
    }
    return out;
  }

  /**
   * Forgets everything about a number (learned capabilities, failures, hold and block).
   * `also` adds commands (an audit line) to the same MULTI, so they happen exactly with it.
   */
  async forget(number: string, also?: AlsoInMulti): Promise<boolean> {
    const m = this.redis.multi().del(this.key(number)).zrem(this.indexKey, number);
    also?.(m);
    const [[, n]] = (await m.exec()) as [[unknown, number], unknown];
    return n === 1;
  }

  /** Blocks a number: dispatch fails faxes to it with DESTINATION_BLOCKED until unblocked. */
  async block(number: string, by: string, reason?: string, also?: AlsoInMulti): Promise<DestinationRecord> {
    return this.update(number, (d) => ({ ...d, blocked: { by, at: new Date().toISOString(), ...(reason ? { reason } : {}) } }), also);
  }

  /** Lifts an admin block and a failure hold alike. */
  async unblock(number: string, also?: AlsoInMulti): Promise<DestinationRecord> {
    return this.update(
      number,
      (d) => {
        const { blocked: _b, heldUntil: _h, heldWhy: _w, ...rest } = d;
        return { ...rest, consecutiveFailures: 0, failureTimes: [] };
      },
      also,
    );
  }

  /** Why the number must not be dialled now, or undefined. */
  async refusal(number: string, now = Date.now()): Promise<DialRefusal | undefined> {
    return refusalOf(await this.get(number), now);
  }

  /**
   * Learns from one finished call: capabilities and CSI, the speed that worked, training and
   * ECM trouble, failures and when; holds the number after `policy.maxFailures` failed calls
   * within the window, or a call answered without a fax tone. Returns undefined when this call
   * was learned already.
   */
  async learn(number: string, obs: CallObservation, policy: DestinationPolicy): Promise<DestinationRecord | undefined> {
    // Two round trips, not four (SET NX, WATCH, GET, MULTI/EXEC; issue 18): the record and the
    // call's learned mark are read together, and LEARN writes both only if the record is still
    // the one read (compare and set) and the call was not learned meanwhile. No WATCH: on the
    // connection dispatch shares among its jobs, another job's EXEC in between would clear it.
    // The mark and the record land together, so a crash between them cannot lose the call.
    const key = this.key(number);
    const learned = this.learnedKey(obs.callId);
    for (let tries = 0; tries < 20; tries++) {
      const [text, seen] = await Promise.all([this.redis.get(key), this.redis.exists(learned)]);
      if (seen) return undefined;
      const current: DestinationRecord = text ? (JSON.parse(text) as DestinationRecord) : { number, calls: 0, consecutiveFailures: 0, failureTimes: [] };
      const next = applyObservation(current, obs, policy);
      const score = Date.parse(next.lastCallAt ?? new Date().toISOString());
      const res = (await this.redis.eval(LEARN, 3, key, this.indexKey, learned, text === null ? '0' : '1', text ?? '', JSON.stringify(next), score, number, LEARNED_TTL_S)) as number;
      if (res === 1) return next;
      if (res === -1) return undefined;
    }
    throw new Error(`destination ${number}: too many concurrent updates`);
  }

  private async update(number: string, change: (d: DestinationRecord) => DestinationRecord, also?: AlsoInMulti): Promise<DestinationRecord> {
    const key = this.key(number);
    for (let tries = 0; tries < 20; tries++) {
      await this.redis.watch(key);
      const text = await this.redis.get(key);
      const current: DestinationRecord = text ? (JSON.parse(text) as DestinationRecord) : { number, calls: 0, consecutiveFailures: 0, failureTimes: [] };
      const next = change(current);
      const score = Date.parse(next.lastCallAt ?? next.blocked?.at ?? new Date().toISOString());
      const m = this.redis.multi().set(key, JSON.stringify(next)).zadd(this.indexKey, score, number);
      also?.(m);
      const res = await m.exec();
      if (res) return next;
    }
    throw new Error(`destination ${number}: too many concurrent updates`);
  }
}

/**
 * The rate to start the next call at: the last rate that carried pages, when this number refused
 * a faster one (FTT) more often than that rate worked since (HylaFAX starts lower after training
 * trouble too). Undefined: start at the top.
 */
export function startRateFor(d: DestinationRecord | undefined): number | undefined {
  if (!d?.lastGoodSpeed || !d.trainingFailures) return undefined;
  const faster = Object.entries(d.trainingFailures).filter(([rate, n]) => Number(rate) > d.lastGoodSpeed! && n > 0);
  return faster.length ? d.lastGoodSpeed : undefined;
}

/** The dial refusal a record implies at `now`. */
export function refusalOf(d: DestinationRecord | undefined, now: number): DialRefusal | undefined {
  if (!d) return undefined;
  if (d.blocked) return { code: 'DESTINATION_BLOCKED', detail: `blocked by ${d.blocked.by} at ${d.blocked.at}${d.blocked.reason ? `: ${d.blocked.reason}` : ''}` };
  if (d.heldUntil && Date.parse(d.heldUntil) > now) return { code: 'DESTINATION_HELD', detail: `${d.heldWhy ?? 'repeated failed calls'}; not dialled before ${d.heldUntil}`, until: d.heldUntil };
  return undefined;
}

/** The pure learning rule, for tests and the store. */
export function applyObservation(d: DestinationRecord, obs: CallObservation, policy: DestinationPolicy): DestinationRecord {
  const at = obs.at;
  const next: DestinationRecord = { ...d, calls: d.calls + 1, firstCallAt: d.firstCallAt ?? at, lastCallAt: at, lastResult: obs.result };
  if (obs.reason) next.lastReason = obs.reason;
  else delete next.lastReason;
  const remote = obs.remote;
  if (remote?.csi?.trim()) next.csi = remote.csi.trim();
  if (remote?.dis) next.dis = remote.dis;
  if (remote?.trainingFailures?.length) {
    const tf = { ...(next.trainingFailures ?? {}) };
    for (const rate of remote.trainingFailures) tf[String(rate)] = (tf[String(rate)] ?? 0) + 1;
    next.trainingFailures = tf;
  }
  if (remote?.ecmTrouble) next.ecmTrouble = (next.ecmTrouble ?? 0) + 1;
  if (remote?.speed && (obs.pagesSent ?? 0) > 0) next.lastGoodSpeed = remote.speed;
  if (obs.result === 'success') {
    next.lastSuccessAt = at;
    next.consecutiveFailures = 0;
    next.failureTimes = [];
    delete next.heldUntil;
    delete next.heldWhy;
    delete next.noFaxToneAt;
    return next;
  }
  if (!FAILED.has(obs.result) && !remote?.noFaxTone) return next;
  next.consecutiveFailures = d.consecutiveFailures + 1;
  next.failureTimes = [...d.failureTimes, at].slice(-MAX_FAILURE_TIMES);
  const t = Date.parse(at);
  if (remote?.noFaxTone) {
    next.noFaxToneAt = at;
    next.heldUntil = new Date(t + policy.holdMs).toISOString();
    next.heldWhy = `the number answered without a fax tone at ${at} (a voice line or a person)`;
    return next;
  }
  if (policy.maxFailures > 0) {
    const recent = next.failureTimes.filter((x) => Date.parse(x) > t - policy.failureWindowMs);
    if (recent.length >= policy.maxFailures) {
      next.heldUntil = new Date(t + policy.holdMs).toISOString();
      next.heldWhy = `${recent.length} failed calls to this number between ${recent[0]} and ${at}`;
    }
  }
  return next;
}
