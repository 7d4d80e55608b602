// Render cost per page class: faxgate as the long-running render worker runs it (a warm sandbox
// process draws with MuPDF and makes the bilevel pages, the worker codes them MMR into a TIFF)
// against Ghostscript's tiffg4 device on the same PDFs, which the bench makes itself.
// Prints tables; asserts nothing (timings belong here, not in tests).
//   node bench/render-classes.bench.ts [repeats=3] [pages per document=10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs: number[]) => Math.min(...xs);

/**
 * CPU time and wall time of one figure. On this shared machine the load average runs far above
 * the core count, so wall time mostly measures the wait for a core; CPU time (user + system, the
 * kernel's accounting) is what a page costs, and the ratio is taken on it.
 */
interface Cost {
  cpu: number;
  wall: number;
}

/** Ghostscript on a PDF: its CPU time from the shell's `times` (the children's rusage). */
function gs(pdf: string): Cost {
  let out = '';
  const wall = ms(() => {
    out = execFileSync('bash', ['-c', 'gs "$@" >/dev/null; times', 'gs', '-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${join(work, 'gs-%03d.tif')}`, pdf]).toString();
  });
  const [user, sys] = [...out.trim().split('\n').at(-1)!.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => (Number(m[1]) * 60 + Number(m[2])) * 1000);
  return { cpu: user + sys, wall };
}

/** CPU milliseconds (user + system, every thread) a process of ours has used, from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 10 ms (USER_HZ = 100).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The sandbox's child process: the render worker's MuPDF and bilevel pass run there. */
function sandboxPid(): number {
  const kids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1').trim().split(' ').map(Number);
  const pid = kids.find((k) => readFileSync(`/proc/${k}/cmdline`, 'latin1').includes('sandbox-child'));
  if (!pid) throw new Error('no sandbox process found');
  return pid;
}

const sandbox = new RenderSandbox({ timeoutMs: 120_000, memoryMb: 2048 });
// Warm the sandbox (MuPDF loaded, JIT warm), as a running worker is.
for (const d of docs) writeTiff(await sandbox.render({ label: 'warm', mimeType: 'application/pdf', data: d.pdf }, opts), { compression: 'mmr' });
const child = sandboxPid();

/** faxgate's worker path on a document: the sandbox renders, this process codes the TIFF. */
async function ours(pdf: Uint8Array, label: string): Promise<Cost> {
  const c0 = processCpuMs(child);
  const p0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const pages = await sandbox.render({ label, mimeType: 'application/pdf', data: pdf }, opts);
  writeTiff(pages, { compression: 'mmr' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const p = process.cpuUsage(p0);
  return { cpu: processCpuMs(child) - c0 + (p.user + p.system) / 1000, wall };
}

const rows: string[][] = [['page class', 'faxgate CPU ms/page min', 'median', 'gs tiffg4 CPU ms/page min', 'median', 'ratio min', 'median', 'wall ratio median']];
for (const d of docs) {
  const o: Cost[] = [];
  const g: Cost[] = [];
  // Alternated in every repeat so load from elsewhere on the machine hits both alike; each
  // repeat's ratio is from figures taken seconds apart.
  for (let r = 0; r < repeats; r++) {
    const mine = await ours(d.pdf, d.name);
    const all = gs(d.path);
    const first = gs(d.single);
    o.push({ cpu: mine.cpu / pagesPerDoc, wall: mine.wall / pagesPerDoc });
    g.push({ cpu: (all.cpu - first.cpu) / (pagesPerDoc - 1), wall: (all.wall - first.wall) / (pagesPerDoc - 1) });
  }
  const cpuRatios = o.map((x, i) => g[i].cpu / x.cpu);
  const wallRatios = o.map((x, i) => g[i].wall / x.wall);
  rows.push([d.name, min(o.map((x) => x.cpu)).toFixed(1), median(o.map((x) => x.cpu)).toFixed(1), min(g.map((x) => x.cpu)).toFixed(1), median(g.map((x) => x.cpu)).toFixed(1), min(cpuRatios).toFixed(2), median(cpuRatios).toFixed(2), median(wallRatios).toFixed(2)]);
}
await sandbox.close();

// Where our time goes, per stage, in this process (no IPC): MuPDF drawing, the bilevel pass
// (classifier, threshold or dither, hairlines), MMR coding with the TIFF around it. CPU time,
// like the ratios: wall time at this machine's load was mostly the wait for a core.
const engine = new MuPdfEngine();
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const stageRows: string[][] = [['page class', 'draw CPU ms/page', 'bilevel', 'MMR + TIFF']];
for (const d of docs) {
  const draw: number[] = [];
  const bilevel: number[] = [];
  const mmr: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let bil = 0;
    const pages = [] as Array<{ bitmap: ReturnType<typeof toBilevel>; xDpi: number; yDpi: number }>;
    const d0 = cpuMs();
    engine.renderDocument(d.pdf, 'application/pdf', opts.yDpi, opts, (g) => {
      const t0 = cpuMs();
      pages.push({ bitmap: toBilevel(g), xDpi: 204, yDpi: opts.yDpi });
      bil += cpuMs() - t0;
    });
    const all = cpuMs() - d0;
    draw.push((all - bil) / pagesPerDoc);
    bilevel.push(bil / pagesPerDoc);
    const m0 = cpuMs();
    writeTiff(pages, { compression: 'mmr' });
    mmr.push((cpuMs() - m0) / pagesPerDoc);
  }
  stageRows.push([d.name, median(draw).toFixed(1), median(bilevel).toFixed(1), median(mmr).toFixed(1)]);
}

function print(table: string[][]): void {
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
}
print(rows);
process.stdout.write(`${repeats} repeats of a ${pagesPerDoc}-page A4 PDF per class at 204 x 196 dpi; faxgate: a warm sandbox process renders, this process writes the MMR TIFF (the render worker's path), CPU of both; gs: one process per document, CPU from its rusage, the cost of a one-page document (start-up) taken off; ratio = gs / faxgate per repeat (above 1: faxgate cheaper)\n\n`);
print(stageRows);
process.stdout.write(`faxgate's stages in one process, CPU ms, median of ${repeats}\nload average (1, 5, 15 min): ${loadBefore} before, ${load()} after; ${cpus().length} cores\n`);
