// Photo pages, halftone screen against error diffusion (issue 18): MMR bytes per page against
// Ghostscript's tiffg4 of the same PDF, CPU of the bilevel pass plus MMR coding in this process
// (the two alternated in every repeat), and tone error: output and source both averaged over
// 8 × 8 tiles, mean absolute difference in grey levels. Prints a table; asserts nothing.
//   node bench/photo-dither.bench.ts [repeats=5] [png dir]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import { MuPdfEngine, pageToPng, toBilevel, classifyBlocks, type GrayPage, type PhotoDither } from '@faxgate/render';
import { pageClassPdfs } from '../libs/render/test/page-classes.ts';
import { toneError } from '../libs/render/test/tone.ts';

const repeats = Number(process.argv[2] ?? 5);
const pngDir = process.argv[3];
const work = mkdtempSync(join(tmpdir(), 'faxgate-bench-dither-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
const engine = new MuPdfEngine();
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A horizontal grey ramp, white to black, A4 at 204 × 196 dpi. */
function ramp(): GrayPage {
  const w = 1728;
  const h = 2292;
  const pixels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[y * w + x] = 255 - Math.floor((x * 256) / w);
  return { width: w, height: h, stride: w, pixels };
}

/** Ghostscript's tiffg4 of a PDF at fax resolution: its file's bytes. */
function gsBytes(pdf: Uint8Array): number {
  const src = join(work, 'in.pdf');
  const out = join(work, 'gs.tif');
  writeFileSync(src, pdf);
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${out}`, src]);
  return readFileSync(out).length;
}

const pages: { name: string; gray: GrayPage; gs?: number }[] = [];
for (const d of pageClassPdfs(['grey photo', 'scanned page'], 1)) {
  engine.renderDocument(d.pdf, 'application/pdf', 196, { pageHeightPt: 842 }, (g) => {
    pages.push({ name: d.name, gray: { ...g, pixels: g.pixels.slice() }, gs: gsBytes(d.pdf) });
  });
}
pages.push({ name: 'grey ramp', gray: ramp() });

const methods: PhotoDither[] = ['halftone', 'diffusion'];
const rows: string[][] = [['page', 'method', 'MMR KB', 'gs tiffg4 KB', 'bilevel CPU ms', 'MMR CPU ms', 'sum', 'tone MAE (8x8)', 'photo share']];
for (const p of pages) {
  const cpu: Record<string, { bil: number[]; mmr: number[] }> = { halftone: { bil: [], mmr: [] }, diffusion: { bil: [], mmr: [] } };
  const out: Record<string, { bitmap: Bitmap; bytes: number }> = {};
  // Warm both paths (JIT), then alternate them in every repeat, order swapped each time.
  for (const m of methods) writeTiff([{ bitmap: toBilevel(p.gray, 128, m), xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
  for (let r = 0; r < repeats; r++) {
    for (const m of r % 2 ? [...methods].reverse() : methods) {
      const t0 = cpuMs();
      const bitmap = toBilevel(p.gray, 128, m);
      const t1 = cpuMs();
      const tiff = writeTiff([{ bitmap, xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
      const t2 = cpuMs();
      cpu[m].bil.push(t1 - t0);
      cpu[m].mmr.push(t2 - t1);
      out[m] = { bitmap, bytes: tiff.length };
    }
  }
  const { photo } = classifyBlocks(p.gray);
  const share = photo.reduce((s, v) => s + v, 0) / photo.length;
  for (const m of methods) {
    const bil = median(cpu[m].bil);
    const mmr = median(cpu[m].mmr);
    rows.push([p.name, m, (out[m].bytes / 1024).toFixed(0), p.gs ? (p.gs / 1024).toFixed(0) : '-', bil.toFixed(1), mmr.toFixed(1), (bil + mmr).toFixed(1), (share > 0 ? toneError(p.gray, out[m].bitmap, photo).toFixed(1) : "-"), share.toFixed(2)]);
    if (pngDir) writeFileSync(join(pngDir, `${p.name.replace(/\W+/g, '-')}-${m}.png`), await pageToPng({ bitmap: out[m].bitmap, xDpi: 204, yDpi: 196 }));
  }
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n');
process.stdout.write(`CPU: median of ${repeats} alternated repeats in one process; tone MAE in grey levels over 8 x 8 tiles inside photo blocks, against the source grey\nload average (1, 5, 15 min): ${loadBefore} before, ${load()} after\n`);
