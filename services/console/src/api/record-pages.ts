import type { Redis } from 'ioredis';

/** A list query: filters every record must pass, the time range and where the page starts. */
export interface PageQuery {
  fromMs?: number;
  toMs?: number;
  limit: number;
  cursor?: string;
}

/** Cursor: the creation time and id of the last item of the page before (opaque to clients). */
export function encodeCursor(score: number, id: string): string {
  return Buffer.from(`${score}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { score: number; id: string } | undefined {
  const [score, id] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!id || !Number.isFinite(Number(score))) return undefined;
  return { score: Number(score), id };
}

/** Records looked at for one page at most: a filter that matches nothing still answers quickly, with a cursor to go on. */
export const MAX_SCANNED = 2_000;

/**
 * One page of a sorted set of ids scored by creation time (newest first), keeping those
 * `accept` returns an item for. A cursor names the last id of the page before, so paging stays
 * stable while new faxes arrive. Ids with the same millisecond are ordered by id, as Redis
 * orders equal scores, and the cursor says which of them were seen.
 */
export async function pageOf<T>(redis: Redis, key: string, q: PageQuery, accept: (id: string) => Promise<T | undefined>): Promise<{ items: T[]; next?: string }> {
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  let max: number = q.toMs !== undefined ? q.toMs - 1 : Number.POSITIVE_INFINITY;
  if (after && after.score < max) max = after.score;
  const min = q.fromMs ?? Number.NEGATIVE_INFINITY;
  const items: T[] = [];
  let scanned = 0;
  let offset = 0;
  let lastItem: { score: number; id: string } | undefined;
  const batch = Math.max(q.limit * 2, 50);
  for (;;) {
    const raw = await redis.zrevrangebyscore(key, fmt(max), fmt(min), 'WITHSCORES', 'LIMIT', offset, batch);
    offset += raw.length / 2;
    for (let i = 0; i < raw.length; i += 2) {
      const id = raw[i];
      const score = Number(raw[i + 1]);
      // Equal scores come in descending id order: those at or above the cursor's id were on earlier pages.
      if (after && score === after.score && id >= after.id) continue;
      const item = await accept(id);
      scanned++;
      if (item !== undefined) {
        // One more match than the page holds: there is a next page, starting after the last item.
        if (items.length === q.limit) return { items, next: encodeCursor(lastItem!.score, lastItem!.id) };
        items.push(item);
        lastItem = { score, id };
      }
      // Bounded work per request: the client goes on from what was looked at.
      if (scanned >= MAX_SCANNED) return { items, next: encodeCursor(score, id) };
    }
    if (raw.length / 2 < batch) return { items };
  }
}

const fmt = (n: number) => (n === Number.POSITIVE_INFINITY ? '+inf' : n === Number.NEGATIVE_INFINITY ? '-inf' : String(n));

/** Digits of a phone number, for comparing numbers written differently (`+1 212…` and `1212…`). */
export function digitsOf(n: string): string {
  return n.replace(/[^0-9]/g, '');
}
