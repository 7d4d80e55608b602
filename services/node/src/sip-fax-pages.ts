// Page coding off the fax's critical path. T.30 is sans-IO and synchronous: the engine asks for
// a page's coded data the moment the receiver's CFR or MCF arrives, and judges a received page
// before it answers MCF. Coding or decoding a fine page takes 10–30 ms of one core; on a node
// carrying many audio calls every such chunk delays every call's 20 ms RTP packets. So the next
// page is coded in the background while the current one is on the line (its transmission takes
// seconds), a received page is judged by counting its rows only, and its bitmap is decoded for
// the received TIFF one page per turn of the event loop once the call is over.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeFaxRows, faxPageToRaw, writeTiffRaw, type RawTiffPage } from '@faxgate/fax-image';
import type { PageRequest, PageVerdict, SendDocument, SessionParams } from '@faxgate/t30';
import { decodeReceivedPage, tiffDocument } from '@faxgate/t38';

const Y_DPI = { standard: 98, fine: 196, superfine: 391 } as const;

/**
 * A TIFF as the sending engine's document, whose page i+1 is coded (with page i's request) in
 * the background once page i was asked for; a later request with other settings (fall-back
 * after FTT changes nothing of the coding, a new DCS may) is coded on demand as before.
 */
export function prefetchingDocument(tiff: Uint8Array): SendDocument {
  const doc = tiffDocument(tiff);
  const ready = new Map<string, Uint8Array>();
  const key = (r: PageRequest) => `${r.index}|${r.encoding}|${r.resolution}|${r.width}|${r.minRowBits}|${r.ecm}`;
  return {
    pageCount: doc.pageCount,
    resolution: doc.resolution,
    encodePage(req: PageRequest): Uint8Array {
      const k = key(req);
      const data = ready.get(k) ?? doc.encodePage(req);
      ready.delete(k);
      if (req.index + 1 < doc.pageCount) {
        const next = { ...req, index: req.index + 1 };
        setImmediate(() => {
          const nk = key(next);
          if (!ready.has(nk)) ready.set(nk, doc.encodePage(next));
        });
      }
      return data;
    },
  };
}

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

/** TIFF Class F (MMR) of the received pages and their bad rows, one page per loop turn. */
export async function receivedDocument(pages: ReceivedPage[]): Promise<{ document: Uint8Array; badRows: number }> {
  const raw: RawTiffPage[] = [];
  let badRows = 0;
  for (const p of pages) {
    await nextTurn();
    const d = decodeReceivedPage(p.data, p.params);
    badRows += d.badRows;
    raw.push(faxPageToRaw({ bitmap: d.bitmap, xDpi: 204, yDpi: Y_DPI[p.params.resolution], badFaxLines: d.badRows }, 'mmr'));
  }
  return { document: writeTiffRaw(raw), badRows };
}
