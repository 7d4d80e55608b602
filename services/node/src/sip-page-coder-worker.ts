// The page coder's worker thread (see sip-page-coder.ts): holds the documents of the calls in
// progress and codes the pages asked for, so that T.4/T.6 coding (10–30 ms a fine page) runs
// beside the event loop that paces every call's RTP packets, not on it; and makes the TIFF of
// the pages a call received (sip-fax-pages.ts), decoding and re-coding each page.
import { parentPort } from 'node:worker_threads';
import type { PageRequest, SendDocument } from '@faxgate/t30';
import { tiffDocument } from '@faxgate/t38';
import { receivedDocumentHere, type ReceivedPage } from './sip-fax-pages.ts';

export type CoderRequest =
  | { type: 'doc'; doc: number; tiff: Uint8Array }
  | { type: 'code'; doc: number; key: string; req: PageRequest }
  | { type: 'drop'; doc: number }
  | { type: 'received'; job: number; pages: ReceivedPage[] };

export type CoderReply = { doc: number; key: string; data?: Uint8Array; error?: string };
export type ReceivedReply = { job: number; document?: Uint8Array; badRows?: number; error?: string };

const docs = new Map<number, SendDocument>();

parentPort!.on('message', (m: CoderRequest) => {
  if (m.type === 'doc') {
    try {
      docs.set(m.doc, tiffDocument(m.tiff));
    } catch {
      // The caller codes on its own thread when no page comes back.
    }
  } else if (m.type === 'drop') docs.delete(m.doc);
  else if (m.type === 'received') {
    let reply: ReceivedReply;
    try {
      const r = receivedDocumentHere(m.pages);
      reply = { job: m.job, document: r.document, badRows: r.badRows };
    } catch (err) {
      reply = { job: m.job, error: (err as Error).message };
    }
    parentPort!.postMessage(reply, reply.document ? [reply.document.buffer as ArrayBuffer] : []);
  } else {
    const d = docs.get(m.doc);
    let reply: CoderReply;
    try {
      reply = d ? { doc: m.doc, key: m.key, data: d.encodePage(m.req) } : { doc: m.doc, key: m.key, error: 'unknown document' };
    } catch (err) {
      reply = { doc: m.doc, key: m.key, error: (err as Error).message };
    }
    parentPort!.postMessage(reply, reply.data ? [reply.data.buffer as ArrayBuffer] : []);
  }
});
