/**
 * What each fax of a batched call got out of it (issue 14). The parts went out in order, one
 * T.30 document each, and the receiver confirmed `confirmed` pages of the call in all: a part
 * whose every page was confirmed is sent, whatever happened to the call afterwards; the part
 * the call ended in has its own confirmed pages; a part the call never reached has no attempt
 * and goes out alone. A call that confirmed nothing (busy, no answer, training failed) was a
 * dial for every fax in it.
 */
export type PartShare =
  | { state: 'done'; pagesSent: number }
  | { state: 'ended-in'; pagesSent: number }
  | { state: 'dialled'; pagesSent: 0 }
  | { state: 'not-reached'; pagesSent: 0 };

export function sharesOfCall(parts: readonly { pages: number }[], confirmed: number, success: boolean): PartShare[] {
  if (confirmed === 0 && !success) return parts.map(() => ({ state: 'dialled', pagesSent: 0 }));
  let offset = 0;
  let reached = true;
  return parts.map((p) => {
    const own = Math.max(0, Math.min(confirmed - offset, p.pages));
    offset += p.pages;
    if (!reached) return { state: 'not-reached', pagesSent: 0 };
    if (own === p.pages && (success || p.pages > 0)) return { state: 'done', pagesSent: own };
    reached = false;
    return { state: 'ended-in', pagesSent: own };
  });
}

/** The first page of each part in the call's document, counted from 0 (a part starts once all before it are confirmed). */
export function partOffsets(parts: readonly { pages: number }[]): number[] {
  let o = 0;
  return parts.map((p) => {
    const at = o;
    o += p.pages;
    return at;
  });
}

/**
 * The pages (from 0) of a batched call's document that end a document another follows: the
 * sending T.30 engine's `documentEnds`, where it says EOM instead of MPS (T.30 §5.3.6.1.7).
 * `skip`: pages already confirmed on an earlier leg of the same call (a SIP call that moved
 * from G.711 to T.38 sends only the rest), so the boundaries shift with them.
 */
export function documentEnds(parts: readonly { pages: number }[] | undefined, skip = 0): number[] | undefined {
  if (!parts || parts.length < 2) return undefined;
  const total = parts.reduce((n, p) => n + p.pages, 0);
  const ends = partOffsets(parts).slice(1).map((o) => o - 1 - skip).filter((e) => e >= 0 && e < total - skip - 1);
  return ends.length ? ends : undefined;
}
