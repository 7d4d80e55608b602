// Render throughput: faxgate (MuPDF → fax geometry → bilevel → TIFF-F G4) against Ghostscript's
// tiffg4 device on the same PDFs, one core each, side by side in one run; then the mail corpus.
// Prints a table; asserts nothing (timings belong here, not in tests).
//   node bench/render.bench.ts [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { prepareFax, recipientPages, renderPart, RenderSandbox, type ComposeSettings, type PartRenderOptions } from '@faxgate/render';
import * as C from '../libs/render/test/corpus.ts';

const rounds = Number(process.argv[2] ?? 3);
const work = mkdtempSync(join(tmpdir(), 'faxgate-bench-'));
const opts: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 500, maxPixels: 1e8, office: false, officeTimeoutMs: 60_000 };

const pdfs: Array<{ name: string; pdf: Uint8Array; pages: number }> = [
  { name: 'text letter, 20 pages A4', pdf: C.psToPdf(C.letterPs(Array.from({ length: 20 }, (_, i) => ({ ...C.A4, title: `Page ${i + 1}` })))), pages: 20 },
  { name: 'mixed sizes + rotated, 4 pages', pdf: C.contractPdf(), pages: 4 },
  { name: 'text letter, 100 pages A4', pdf: C.psToPdf(C.letterPs(Array.from({ length: 100 }, (_, i) => ({ ...C.A4, title: `Page ${i + 1}` })))), pages: 100 },
];

async function timeAsync(f: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
async function bestAsync(f: () => Promise<void>): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await f();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

const rows: string[][] = [['document', 'pages', 'faxgate pages/s', 'gs tiffg4 pages/s', 'ratio']];
// Warm up MuPDF and the fonts once, as a running worker is.
await renderPart({ label: 'w', mimeType: 'application/pdf', data: pdfs[0].pdf }, opts);
for (const { name, pdf, pages } of pdfs) {
  const path = join(work, 'in.pdf');
  writeFileSync(path, pdf);
  // Alternate the two in every round so load from elsewhere on the machine hits both alike.
  let ours = Infinity;
  let gs = Infinity;
  for (let i = 0; i < rounds; i++) {
    ours = Math.min(ours, await timeAsync(async () => {
      const out = await renderPart({ label: name, mimeType: 'application/pdf', data: pdf }, opts);
      writeTiff(out, { compression: 'mmr' });
    }));
    gs = Math.min(gs, await timeAsync(async () => {
      execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${join(work, 'gs.tif')}`, path]);
    }));
  }
  rows.push([name, String(pages), (pages / ours).toFixed(1), (pages / gs).toFixed(1), (gs / ours).toFixed(2)]);
}

// The mail corpus as the render service runs it (cover, header lines, sandbox process).
const sandbox = new RenderSandbox({ timeoutMs: 60_000, memoryMb: 2048 });
const settings: ComposeSettings = { resolution: 'fine', paper: 'a4', sandbox, preferHtml: true, cover: true, coverKeyword: 'cover', tagline: 'From %%n|%%s|%a %b %d %H:%M %Y|Page %%P of %%T', stationId: '+1 212 555 0001', timeZone: 'UTC' };
const mails = [await C.outlookHtml(), C.gmailAlternative(), C.appleMailPdf(C.contractPdf()), await C.forwarded(), C.nonLatin(), C.longLog(), await C.phonePhoto(), C.faxTiffMail()];
let pagesTotal = 0;
const corpus = await bestAsync(async () => {
  pagesTotal = 0;
  for (const m of mails) {
    const prep = await prepareFax(m.raw, { faxId: 'bench', sender: 'alice@example.com', date: new Date() }, settings);
    const pages = await recipientPages(prep, { number: '+12125550100' }, settings);
    writeTiff(pages, { compression: 'mmr' });
    pagesTotal += pages.length;
  }
});
rows.push([`mail corpus (${mails.length} mails, sandboxed)`, String(pagesTotal), (pagesTotal / corpus).toFixed(1), '–', '–']);

// One message to several recipients, as the render worker does it: documents rendered once,
// then each recipient's cover, header lines and TIFF.
const recipients = 5;
const multi = C.appleMailPdf(pdfs[0].pdf);
let recipientPagesTotal = 0;
const fanOut = await bestAsync(async () => {
  recipientPagesTotal = 0;
  const prep = await prepareFax(multi.raw, { faxId: 'bench', sender: 'alice@example.com', date: new Date() }, settings);
  for (let i = 0; i < recipients; i++) {
    const pages = await recipientPages(prep, { number: `+1212555010${i}` }, settings);
    writeTiff(pages, { compression: 'mmr' });
    recipientPagesTotal += pages.length;
  }
});
await sandbox.close();
rows.push([`20-page PDF mail to ${recipients} recipients`, String(recipientPagesTotal), (recipientPagesTotal / fanOut).toFixed(1), '–', '–']);

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
process.stdout.write(`best of ${rounds} rounds, one core each (faxgate in this process, gs one process per file); ratio = faxgate / Ghostscript\n`);
rmSync(work, { recursive: true, force: true });
