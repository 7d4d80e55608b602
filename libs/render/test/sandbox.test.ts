// Safety: bombs fail their document with a reason and leave the renderer healthy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { bitmapsEqual } from '@faxgate/fax-image';
import { RenderSandbox, DocumentRenderError, renderDocuments, renderPart, type PartRenderOptions } from '../src/index.ts';
import * as C from './corpus.ts';

const opts: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 200, maxPixels: 100_000_000, office: false, officeTimeoutMs: 10_000 };
const sandboxes: RenderSandbox[] = [];
after(async () => {
  for (const s of sandboxes) await s.close();
});
function sandbox(timeoutMs: number, memoryMb: number) {
  const s = new RenderSandbox({ timeoutMs, memoryMb });
  sandboxes.push(s);
  return s;
}

/** A PDF whose page draws a form that draws a form ... 16^9 rectangles: tiny file, endless work. */
function nestedFormBomb(): Uint8Array {
  const objs: string[] = [];
  const levels = 9;
  // Objects 1 catalog, 2 pages, 3 page, 4 page content, 5.. forms X0..X8.
  objs.push('<< /Type /Catalog /Pages 2 0 R >>');
  objs.push('<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /X 0 R >> >> >>`.replace('/X 0 R', `/X ${5 + levels - 1} 0 R`));
  const stream = (dict: string, body: string) => `<< ${dict} /Length ${body.length} >>\nstream\n${body}\nendstream`;
  objs.push(stream('', 'q 1 0 0 1 10 10 cm /X Do Q'));
  for (let i = 0; i < levels; i++) {
    const body = i === 0 ? '0 0 1 1 re f' : Array.from({ length: 16 }, (_, k) => `q 1 0 0 1 ${k % 4} ${k >> 2} cm /Y Do Q`).join(' ');
    const res = i === 0 ? '' : `/Resources << /XObject << /Y ${5 + i - 1} 0 R >> >>`;
    objs.push(stream(`/Type /XObject /Subtype /Form /BBox [0 0 500 500] ${res}`, body));
  }
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}

const goodPdf = C.psToPdf(C.letterPs([{ ...C.A4, title: 'After the bomb' }]));

test('a 50 000 × 50 000 PNG fails on its header, before any decoding, with the reason', async () => {
  const s = sandbox(30_000, 1024);
  await assert.rejects(s.render({ label: 'huge.png', mimeType: 'image/png', data: C.zeroPng(50_000, 50_000) }, opts), (err: Error) => {
    assert.ok(err instanceof DocumentRenderError);
    assert.match(err.message, /50000 × 50000 pixels, more than the limit of 100 megapixels/);
    return true;
  });
  assert.equal((await s.render({ label: 'ok.pdf', mimeType: 'application/pdf', data: goodPdf }, opts)).length, 1);
});

test('a PDF bomb (forms nested 9 deep, 16 each) is stopped by the time limit; the next document renders in a fresh process', async () => {
  const s = sandbox(3_000, 1024);
  const before = s.started;
  await assert.rejects(s.render({ label: 'bomb.pdf', mimeType: 'application/pdf', data: nestedFormBomb() }, opts), /took longer than 3 s to render/);
  const pages = await s.render({ label: 'ok.pdf', mimeType: 'application/pdf', data: goodPdf }, opts);
  assert.equal(pages.length, 1);
  assert.equal(s.started - before, 2, 'the killed process was replaced');
});

test('a decompression bomb (20 000 × 20 000 image inside HTML, 60 KB deflated) is stopped by the memory limit', async () => {
  const s = sandbox(60_000, 400);
  const png = C.zeroPng(20_000, 20_000, 1);
  assert.ok(png.length < 200_000, `${png.length} bytes`);
  const html = `<html><body><p>bomb</p><img src="data:image/png;base64,${Buffer.from(png).toString('base64')}"></body></html>`;
  await assert.rejects(s.render({ label: 'bomb.html', mimeType: 'text/html', data: new TextEncoder().encode(html) }, opts), /needs more than 400 MB of memory/);
  assert.equal((await s.render({ label: 'ok.pdf', mimeType: 'application/pdf', data: goodPdf }, opts)).length, 1);
});

test('in a mail, the bomb becomes a notice page and a sentence; the other attachment is still faxed', async () => {
  const s = sandbox(3_000, 1024);
  const doc = await renderDocuments(
    {
      parts: [
        { kind: 'document', label: 'bomb.pdf', mimeType: 'application/pdf', data: nestedFormBomb() },
        { kind: 'document', label: 'huge.png', mimeType: 'image/png', data: C.zeroPng(50_000, 50_000) },
        { kind: 'document', label: 'letter.pdf', mimeType: 'application/pdf', data: goodPdf },
      ],
    } as never,
    { resolution: 'fine', paper: 'a4', sandbox: s },
  );
  assert.deepEqual(doc.notices, ['bomb.pdf was not faxed: it took longer than 3 s to render.', 'huge.png was not faxed: the image is 50000 × 50000 pixels, more than the limit of 100 megapixels.']);
  assert.equal(doc.pages.length, 3);
});

test('a sandbox that cannot start fails the whole render (the job is retried), not the document', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { SandboxUnavailableError } = await import('../src/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-broken-'));
  try {
    writeFileSync(join(dir, 'child.mjs'), "throw new Error('cannot load mupdf');\n");
    const broken = new RenderSandbox({ timeoutMs: 10_000, memoryMb: 512 }, 1, pathToFileURL(join(dir, 'child.mjs')));
    sandboxes.push(broken);
    await assert.rejects(
      renderDocuments({ parts: [{ kind: 'document', label: 'letter.pdf', mimeType: 'application/pdf', data: goodPdf }] } as never, { resolution: 'fine', paper: 'a4', sandbox: broken }),
      (err: Error) => err instanceof SandboxUnavailableError && /did not start \(exit 1\).*cannot load mupdf/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a warmed sandbox renders its first document in the process it started ahead', async () => {
  const s = sandbox(60_000, 1024);
  const before = s.started;
  s.warm();
  assert.equal(s.started, before + 1, 'warm() started no process');
  const pages = await s.render({ label: 'letter.pdf', mimeType: 'application/pdf', data: goodPdf }, opts);
  assert.equal(pages.length, 1);
  assert.equal(s.started, before + 1, 'the first document started a second process instead of using the warm one');
});

test('a warmed sandbox that cannot start still fails the render as a start failure, not the document', async () => {
  const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { SandboxUnavailableError } = await import('../src/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-broken-'));
  try {
    // The child leaves its pid, so the test can wait until the warmed process has died (its
    // exit seen by the parent) before the first document asks for it.
    const pidFile = join(dir, 'pid');
    writeFileSync(join(dir, 'child.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nthrow new Error('cannot load mupdf');\n`);
    const broken = new RenderSandbox({ timeoutMs: 10_000, memoryMb: 512 }, 1, pathToFileURL(join(dir, 'child.mjs')));
    sandboxes.push(broken);
    broken.warm();
    const { waitUntil } = await import('@faxgate/testkit');
    await waitUntil('the warmed broken sandbox process to exit', () => {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 30_000, 20);
    await assert.rejects(
      broken.render({ label: 'letter.pdf', mimeType: 'application/pdf', data: goodPdf }, opts),
      (err: Error) => err instanceof SandboxUnavailableError && /did not start \(exit 1\).*cannot load mupdf/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pages from the sandbox arrive on word boundaries with the pixels drawn in-process', async () => {
  const pdf = C.psToPdf(C.letterPs([{ ...C.A4, title: 'Aligned one' }, { ...C.A4, title: 'Aligned two' }, { ...C.A4, title: 'Aligned three' }]));
  const pages = await sandbox(60_000, 1024).render({ label: 'three.pdf', mimeType: 'application/pdf', data: pdf }, opts);
  const here = await renderPart({ label: 'three.pdf', mimeType: 'application/pdf', data: pdf }, opts);
  assert.equal(pages.length, 3);
  pages.forEach((p, i) => {
    // The MMR coder reads rows as 32-bit words only from aligned bitmaps.
    assert.equal(p.bitmap.data.byteOffset % 4, 0, `page ${i + 1} at byte offset ${p.bitmap.data.byteOffset}`);
    assert.ok(bitmapsEqual(p.bitmap, here[i].bitmap), `page ${i + 1} differs from the in-process rendering`);
  });
});
