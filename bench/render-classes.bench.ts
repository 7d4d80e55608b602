// Render cost per page class: faxgate as the long-running render worker runs it (a warm sandbox
// process draws with MuPDF and makes the bilevel pages, the worker codes them MMR into a TIFF)
// against Ghostscript's tiffg4 device on the same PDFs, which the bench makes itself.
// Prints tables; asserts nothing (timings belong here, not in tests).
//   node bench/render-classes.bench.ts [repeats=3] [pages per document=10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { MuPdfEngine, RenderSandbox, toBilevel, type PartRenderOptions } from '@faxgate/render';
import { pageClassPdfs } from '../libs/render/test/page-classes.ts';

const repeats = Number(process.argv[2] ?? 3);
const pagesPerDoc = Number(process.argv[3] ?? 10);
const work = mkdtempSync(join(tmpdir(), 'faxgate-bench-classes-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const opts: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 500, maxPixels: 1e8, office: false, officeTimeoutMs: 60_000 };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const loadBefore = load();
const docs = pageClassPdfs(undefined, pagesPerDoc).map((d) => {
  const path = join(work, `${d.name.replace(/\W+/g, '-')}.pdf`);
  writeFileSync(path, d.pdf);
  // The same class's first page alone: Ghostscript's start-up and document set-up, taken off
  // so its figure is the cost of a page, as ours (a warm worker) is.
  const single = join(work, `${d.name.replace(/\W+/g, '-')}-1.pdf`);
  writeFileSync(single, pageClassPdfs([d.name], 1)[0].pdf);
  return { ...d, path, single };
});

function ms(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
async function msAsync(f: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const gs = (pdf: string) => execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${join(work, 'gs-%03d.tif')}`, pdf]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs: number[]) => Math.min(...xs);

const sandbox = new RenderSandbox({ timeoutMs: 120_000, memoryMb: 2048 });
// Warm the sandbox (MuPDF loaded, JIT warm), as a running worker is.
for (const d of docs) writeTiff(await sandbox.render({ label: 'warm', mimeType: 'application/pdf', data: d.pdf }, opts), { compression: 'mmr' });

const rows: string[][] = [['page class', 'faxgate ms/page min', 'median', 'gs tiffg4 ms/page min', 'median', 'ratio min', 'median']];
for (const d of docs) {
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  // Alternated in every repeat so load from elsewhere on the machine hits both alike; each
  // repeat's ratio is from figures taken seconds apart.
  for (let r = 0; r < repeats; r++) {
    const o = (await msAsync(async () => {
      const pages = await sandbox.render({ label: d.name, mimeType: 'application/pdf', data: d.pdf }, opts);
      writeTiff(pages, { compression: 'mmr' });
    })) / pagesPerDoc;
    const g = (ms(() => gs(d.path)) - ms(() => gs(d.single))) / (pagesPerDoc - 1);
    ours.push(o);
    theirs.push(g);
    ratios.push(g / o);
  }
  rows.push([d.name, min(ours).toFixed(1), median(ours).toFixed(1), min(theirs).toFixed(1), median(theirs).toFixed(1), min(ratios).toFixed(2), median(ratios).toFixed(2)]);
}
await sandbox.close();

// Where our time goes, per stage, in this process (no IPC): MuPDF drawing, the bilevel pass
// (classifier, threshold or dither, hairlines), MMR coding with the TIFF around it.
const engine = new MuPdfEngine();
const stageRows: string[][] = [['page class', 'draw ms/page', 'bilevel', 'MMR + TIFF']];
for (const d of docs) {
  const draw: number[] = [];
  const bilevel: number[] = [];
  const mmr: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let bil = 0;
    const pages = [] as Array<{ bitmap: ReturnType<typeof toBilevel>; xDpi: number; yDpi: number }>;
    const all = ms(() => {
      engine.renderDocument(d.pdf, 'application/pdf', opts.yDpi, opts, (g) => {
        const t0 = process.hrtime.bigint();
        pages.push({ bitmap: toBilevel(g), xDpi: 204, yDpi: opts.yDpi });
        bil += Number(process.hrtime.bigint() - t0) / 1e6;
      });
    });
    draw.push((all - bil) / pagesPerDoc);
    bilevel.push(bil / pagesPerDoc);
    mmr.push(ms(() => writeTiff(pages, { compression: 'mmr' })) / pagesPerDoc);
  }
  stageRows.push([d.name, median(draw).toFixed(1), median(bilevel).toFixed(1), median(mmr).toFixed(1)]);
}

function print(table: string[][]): void {
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
}
print(rows);
process.stdout.write(`${repeats} repeats of a ${pagesPerDoc}-page A4 PDF per class at 204 x 196 dpi; faxgate: a warm sandbox process renders, this process writes the MMR TIFF (the render worker's path); gs: one process per document, the cost of its first page (start-up) taken off; ratio = gs ms/page / faxgate ms/page (above 1: faxgate faster), per repeat\n\n`);
print(stageRows);
process.stdout.write(`faxgate's stages in one process, median of ${repeats}\nload average (1, 5, 15 min): ${loadBefore} before, ${load()} after; ${cpus().length} cores\n`);
