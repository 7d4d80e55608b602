// The render sandbox's child process: renders one document at a time for its parent
// (render-sandbox.ts) over IPC. Untrusted documents are opened only here, so a bomb that
// exhausts memory or loops only costs this process.
import { renderPart, type DocumentInput, type PartRenderOptions } from './render-part.ts';
import { sendablePages } from './page-transfer.ts';

interface Request {
  id: number;
  doc: DocumentInput;
  opts: PartRenderOptions;
}

process.on('message', (msg: Request) => {
  void (async () => {
    try {
      const pages = await renderPart(msg.doc, msg.opts);
      process.send!({ id: msg.id, ok: true, pages: sendablePages(pages) });
    } catch (err) {
      process.send!({ id: msg.id, ok: false, error: describe(err) });
    }
  })();
});

// Tells the parent the renderer loaded: an exit before this is the gateway's fault, not the document's.
process.send!({ ready: true });

function describe(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // Out of WebAssembly memory inside MuPDF or libvips' pixel limit: say it plainly.
  if (/out of memory|malloc|Cannot enlarge memory|Array buffer allocation failed/i.test(m)) return 'it needs more memory than a document may use';
  if (/pixel limit/i.test(m)) return 'the image has more pixels than the limit';
  return m;
}
