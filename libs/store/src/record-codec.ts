import type { ChainableCommander, Redis } from 'ioredis';

/**
 * The one encoding of every record faxgate keeps in Redis (fax, recipient, attempt, received
 * fax, delivery): a hash with one JSON value per field, so workers updating different fields
 * never overwrite each other. A field given as `undefined` in an update is deleted (HDEL), so
 * an update can clear a stale value (a retry time, the reason of an earlier failed call);
 * fields left out of an update are not touched.
 */
/**
 * The version of the records this release writes (`v` on fax, recipient and received-fax
 * records; attempts and deliveries belong to their record's version). A record without `v` was
 * written before records were versioned (version 0: the same fields). A reader accepts every
 * earlier version: a field added in a later version is optional to the code, and a new version
 * never gives an old field a new meaning. libs/store/test/fixtures holds records written by
 * each version, read back by the current code in schema-fixtures.test.ts.
 */
export const RECORD_SCHEMA_VERSION = 1;

export interface EncodedUpdate {
  set: Record<string, string>;
  del: string[];
}

export function encodeRecord(obj: object): EncodedUpdate {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) del.push(k);
    else set[k] = JSON.stringify(v);
  }
  return { set, del };
}

export function decodeRecord<T>(h: Record<string, string>): T | undefined {
  if (Object.keys(h).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) out[k] = JSON.parse(v);
  return out as T;
}

/** Queues the writes of one update (sets and deletes) on a MULTI. */
export function queueRecordUpdate(m: ChainableCommander, key: string, fields: object): ChainableCommander {
  const { set, del } = encodeRecord(fields);
  if (Object.keys(set).length) m.hset(key, set);
  if (del.length) m.hdel(key, ...del);
  return m;
}

/** Applies one update atomically: the sets and the deletes land together or not at all. */
export async function writeRecord(redis: Redis, key: string, fields: object): Promise<void> {
  const { set, del } = encodeRecord(fields);
  if (del.length === 0) {
    if (Object.keys(set).length) await redis.hset(key, set);
    return;
  }
  await execAll(queueRecordUpdate(redis.multi(), key, fields));
}

export async function readRecord<T>(redis: Redis, key: string): Promise<T | undefined> {
  return decodeRecord<T>(await redis.hgetall(key));
}

/** Runs a MULTI and throws the first error any of its commands met. */
export async function execAll(m: ChainableCommander): Promise<void> {
  const res = await m.exec();
  for (const [err] of res ?? []) if (err) throw err;
}
