// Pages coded beside the event loop. T.30 is sans-IO and synchronous: the sending engine asks
// for a page's coded data in the very turn that handles the receiver's CFR or MCF, and coding a
// fine page takes 10–30 ms of one core — on a node carrying many audio calls, a stall of every
// call's 20 ms RTP packets. So the page a call will need is coded ahead on one worker thread
// shared by the process: page 1 as soon as our DCS fixes the coding (T.30 §5.3.6.2.1: TCF and
// the receiver's answer still take over 1.5 s), each next page while the current one is on the
// line. A page asked for before it is ready (other settings after a new DCS, a worker that is
// late) is coded on the spot as before. The same worker makes the TIFF of the pages a call
// received, once the call is over (sip-fax-pages.ts).
import { Worker } from 'node:worker_threads';
import { parseDcs, type PageRequest, type SendDocument, type T30Action } from '@faxgate/t30';
import { tiffDocument } from '@faxgate/t38';
import type { CoderReply, CoderRequest, ReceivedReply } from './sip-page-coder-worker.ts';
import type { ReceivedPage } from './sip-fax-pages.ts';

let worker: Worker | undefined;
let nextDoc = 1;
const waiting = new Map<number, (r: CoderReply) => void>();
let nextJob = 1;
/** Received documents being made on the worker, by job: settled by its reply, or when it dies. */
const jobs = new Map<number, { worker: Worker; done: (r: ReceivedReply) => void }>();

function coder(): Worker {
  if (!worker) {
    const w = new Worker(new URL('./sip-page-coder-worker.ts', import.meta.url));
    w.on('message', (r: CoderReply | ReceivedReply) => {
      if ('job' in r) jobs.get(r.job)?.done(r);
      else waiting.get(r.doc)?.(r);
    });
    const gone = (why: string) => {
      if (worker === w) worker = undefined;
      for (const [job, j] of jobs) if (j.worker === w) j.done({ job, error: why });
    };
    w.on('error', (err) => gone(`page coder failed: ${err.message}`));
    w.on('exit', (code) => gone(`page coder exited (${code})`));
    // The worker never keeps the process alive; a node stopping does not wait for it. After the
    // listeners: adding a 'message' listener refs the worker's port again (a process that had
    // used the coder never exited by itself).
    w.unref();
    worker = w;
  }
  return worker;
}

/**
 * The TIFF of a call's received pages, made on the worker thread (decoding each page's bitmap
 * and coding it again as MMR, 10–30 ms a fine page: a node whose calls end together would
 * otherwise spend a turn of its loop on all of them). Throws when the worker fails; the caller
 * then makes it on its own thread.
 */
export function receivedDocumentOnWorker(pages: ReceivedPage[]): Promise<{ document: Uint8Array; badRows: number }> {
  const w = coder();
  const job = nextJob++;
  // A document being made holds the process (the fax is awaited); the coder alone does not.
  if (jobs.size === 0) w.ref();
  return new Promise((resolve, reject) => {
    jobs.set(job, {
      worker: w,
      done: (r) => {
        jobs.delete(job);
        if (![...jobs.values()].some((j) => j.worker === w)) w.unref();
        if (r.document) resolve({ document: r.document, badRows: r.badRows ?? 0 });
        else reject(new Error(r.error ?? 'page coder gave no document'));
      },
    });
    // Copies: the call's pages stay usable here should the worker fail.
    w.postMessage({ type: 'received', job, pages: pages.map((p) => ({ data: p.data.slice(), params: p.params })) } satisfies CoderRequest);
  });
}

const keyOf = (r: PageRequest) => `${r.index}|${r.encoding}|${r.resolution}|${r.width}|${r.minRowBits}|${r.ecm}`;

/** A call's document whose pages are coded ahead on the worker thread. */
export interface CodedAheadDocument extends SendDocument {
  /** Feed it the engine's actions: our DCS starts coding the page it will ask for next. */
  observe(a: T30Action): void;
  /** The call is over: the worker forgets the document. */
  dispose(): void;
  /** Pages handed over coded ahead, and pages coded on the spot. */
  readonly stats: { ahead: number; onTheSpot: number };
  /** Whether the page for `req` is coded and waiting. */
  isReady(req: PageRequest): boolean;
}

/** `documentEnds`: as tiffDocument's, the pages that end a document of a batched call (EOM). */
export function codedAheadDocument(tiff: Uint8Array, documentEnds?: readonly number[]): CodedAheadDocument {
  const local = tiffDocument(tiff, documentEnds);
  const id = nextDoc++;
  const ready = new Map<string, Uint8Array>();
  const asked = new Set<string>();
  let next = 0;
  let disposed = false;
  const stats = { ahead: 0, onTheSpot: 0 };
  waiting.set(id, (r) => {
    if (r.data && !disposed) ready.set(r.key, r.data);
  });
  coder().postMessage({ type: 'doc', doc: id, tiff: tiff.slice() } satisfies CoderRequest);
  const ahead = (req: PageRequest) => {
    const key = keyOf(req);
    if (disposed || req.index >= local.pageCount || asked.has(key)) return;
    asked.add(key);
    coder().postMessage({ type: 'code', doc: id, key, req } satisfies CoderRequest);
  };
  return {
    stats,
    pageCount: local.pageCount,
    resolution: local.resolution,
    ...(local.documentEnds ? { documentEnds: local.documentEnds } : {}),
    encodePage(req: PageRequest): Uint8Array {
      const key = keyOf(req);
      let data = ready.get(key);
      if (data) stats.ahead++;
      else {
        stats.onTheSpot++;
        data = local.encodePage(req);
      }
      ready.delete(key);
      next = req.index + 1;
      ahead({ ...req, index: req.index + 1 });
      return data;
    },
    isReady: (req: PageRequest) => ready.has(keyOf(req)),
    observe(a: T30Action): void {
      if (a.type !== 'send-hdlc') return;
      for (const f of a.frames) {
        // T.30 §5.3.6.2.1: DCS (FCF 0x82, with or without the final-frame X bit) fixes coding,
        // resolution, width and the minimum scan line time of the pages that follow.
        if (f.length < 4 || (f[2] & 0xfe) !== 0x82) continue;
        const p = parseDcs(f.subarray(3));
        if (!p) continue;
        ahead({ index: next, encoding: p.encoding, resolution: p.resolution, width: p.width, ecm: p.ecm, minRowBits: p.ecm ? 0 : Math.ceil((p.minScanLineMs * p.modulation.bps) / 1000) });
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      waiting.delete(id);
      ready.clear();
      worker?.postMessage({ type: 'drop', doc: id } satisfies CoderRequest);
    },
  };
}
