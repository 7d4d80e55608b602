import { joinTiffSlices, readTiff } from '@faxgate/fax-image';
import type { CallPart } from '@faxgate/line-driver';
import { isFinished } from '@faxgate/fax-control';
import type { RoleContext } from '@faxgate/runtime';
import { BatchClaims, callIdOf, type WaitingCall } from './batch-claims.ts';

export interface BatchLimits {
  maxFaxes: number;
  maxPages: number;
  /** A waiting fax that has not said so for this long is not taken along. */
  freshMs: number;
  leaseMs: number;
}

/** A fax taken along in another fax's call. */
export interface BatchMember extends WaitingCall {
  callId: string;
}

export interface Batch {
  members: BatchMember[];
  /** The call's document: the lead's pages from its fromPage, then each member's. */
  document: Uint8Array;
  parts: CallPart[];
}

/**
 * Takes along the faxes waiting for the number as the lead's call is about to start (issue 14):
 * oldest first, while the call stays within the limits; each is claimed atomically (it is in
 * this call or not at all). A member whose record or document cannot be used is given back.
 */
export async function gatherBatch(ctx: RoleContext, claims: BatchClaims, lead: { callId: string; number: string; fromPage: number; document: Uint8Array }, limits: BatchLimits): Promise<Batch | undefined> {
  const leadPages = readTiff(lead.document).length - (lead.fromPage - 1);
  const waiting = (await claims.waiting(lead.number, limits.freshMs)).filter((w) => callIdOf(w) !== lead.callId);
  if (waiting.length === 0 || limits.maxFaxes < 2) return undefined;
  let pages = leadPages;
  const candidates: WaitingCall[] = [];
  for (const w of waiting) {
    if (candidates.length + 1 >= limits.maxFaxes) break;
    const r = await ctx.records.getRecipient(w.faxId, w.recipient);
    if (!r?.documentKey || r.number !== lead.number || isFinished(r) || r.heldAt) continue;
    const own = (r.pagesTotal ?? 0) - (w.fromPage - 1);
    if (own <= 0 || pages + own > limits.maxPages) continue;
    pages += own;
    candidates.push(w);
  }
  const claimed = await claims.claim(lead.number, lead.callId, candidates, limits.leaseMs);
  const members: BatchMember[] = [];
  const slices = [{ data: lead.document, from: lead.fromPage - 1, to: lead.fromPage - 1 + leadPages }];
  const parts: CallPart[] = [{ callId: lead.callId, fromPage: lead.fromPage, pages: leadPages }];
  for (const m of claimed) {
    const callId = callIdOf(m);
    const r = await ctx.records.getRecipient(m.faxId, m.recipient);
    const data = r?.documentKey ? await ctx.blobs.get(r.documentKey).catch(() => undefined) : undefined;
    const total = data ? readTiff(data).length : 0;
    if (!data || total < m.fromPage) {
      await claims.release(lead.callId, [callId]);
      continue;
    }
    members.push({ ...m, callId });
    slices.push({ data, from: m.fromPage - 1, to: total });
    parts.push({ callId, fromPage: m.fromPage, pages: total - (m.fromPage - 1) });
  }
  if (members.length === 0) return undefined;
  return { members, document: joinTiffSlices(slices), parts };
}
