// Received pages without long turns of the event loop. T.30 is sans-IO and synchronous: the
// receiving engine judges a page in the turn that answers MCF, RTP or RTN. Decoding a fine page
// into a bitmap takes 20–30 ms of one core; on a node carrying many audio calls such a chunk
// delays every call's 20 ms RTP packets. So a received page is judged by counting its rows only,
// and the received TIFF (each page's bitmap decoded and coded again) is made once the call is
// over, on the page coder's worker thread. Made here one page per turn, it still stalled the
// loop when calls ended together: each call's page waited for the next turn, and the next turn
// ran all of them (50 calls: a turn of 0.2–0.5 s). (Sending: sip-page-coder.ts.)
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeFaxRows, faxPageToRaw, writeTiffRaw, type RawTiffPage } from '@faxgate/fax-image';
import type { PageVerdict, SessionParams } from '@faxgate/t30';
import { decodeReceivedPage } from '@faxgate/t38';
import { receivedDocumentOnWorker } from './sip-page-coder.ts';

const Y_DPI = { standard: 98, fine: 196, superfine: 391 } as const;

/** A received page as the engine reported it. */
export interface ReceivedPage {
  data: Uint8Array;
  params: SessionParams;
}

/**
 * The receiving engine's page judge (T.30 §5.3.6.1.6: MCF, RTP or RTN from the page's rows
 * and bad rows). It only counts rows: decoding the codes takes well under a millisecond for a
 * fine page, painting its bitmap 20–30 ms, so the bitmap is made later, for the TIFF (decoded
 * as decodeReceivedPage does, on the 1728-pel A4 line of T.4 §2.2).
 */
export function judgePage(data: Uint8Array, params: SessionParams): PageVerdict {
  const stats = decodeFaxRows(data, { compression: params.encoding, width: 1728 }, () => undefined);
  return { rows: stats.rows, badRows: stats.badRows };
}

/** TIFF Class F (MMR) of the received pages and their bad rows, made on the page coder's worker thread. */
export async function receivedDocument(pages: ReceivedPage[]): Promise<{ document: Uint8Array; badRows: number }> {
  try {
    return await receivedDocumentOnWorker(pages);
  } catch {
    return receivedDocumentInTurns(pages);
  }
}

/** The TIFF made on this thread: the worker failed. */
export async function receivedDocumentInTurns(pages: ReceivedPage[]): Promise<{ document: Uint8Array; badRows: number }> {
  const raw: RawTiffPage[] = [];
  let badRows = 0;
  for (const p of pages) {
    const d = await inOwnTurn(() => receivedPage(p));
    badRows += d.badRows;
    raw.push(d.raw);
  }
  return { document: writeTiffRaw(raw), badRows };
}

/** The TIFF made at once (on the worker thread). */
export function receivedDocumentHere(pages: ReceivedPage[]): { document: Uint8Array; badRows: number } {
  const made = pages.map(receivedPage);
  return { document: writeTiffRaw(made.map((m) => m.raw)), badRows: made.reduce((n, m) => n + m.badRows, 0) };
}

function receivedPage(p: ReceivedPage): { raw: RawTiffPage; badRows: number } {
  const d = decodeReceivedPage(p.data, p.params);
  return { raw: faxPageToRaw({ bitmap: d.bitmap, xDpi: 204, yDpi: Y_DPI[p.params.resolution], badFaxLines: d.badRows }, 'mmr'), badRows: d.badRows };
}

/** Pages made on this thread, across all calls: one per turn of the loop, in the order asked. */
let turns: Promise<unknown> = Promise.resolve();
function inOwnTurn<T>(work: () => T): Promise<T> {
  const done = turns.then(() => nextTurn()).then(work);
  turns = done.catch(() => undefined);
  return done;
}
