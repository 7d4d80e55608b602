import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const run = promisify(execFile);

export interface TiffDirectory { width: number; height: number; xRes: number; yRes: number; compression: string; photometric: string }

/**
 * libtiff's own view of a TIFF: `tiffinfo` must read it without a warning or an error, and
 * `tiffcp -c none` must decode every page. Returns what tiffinfo reports per page.
 */
export async function libtiffInspect(path: string, workDir: string): Promise<{ pages: TiffDirectory[]; warnings: string }> {
  const { stdout, stderr } = await run('tiffinfo', ['-D', path], { maxBuffer: 64 << 20 });
  await run('tiffcp', ['-c', 'none', path, join(workDir, `decoded-${Date.now()}.tif`)]);
  const pages: TiffDirectory[] = [];
  for (const block of stdout.split(/=== TIFF directory \d+ ===/).slice(1)) {
    const wh = /Image Width: (\d+) Image Length: (\d+)/.exec(block);
    const res = /Resolution: ([\d.]+), ([\d.]+)/.exec(block);
    pages.push({
      width: Number(wh?.[1]),
      height: Number(wh?.[2]),
      xRes: Number(res?.[1]),
      yRes: Number(res?.[2]),
      compression: /Compression Scheme: ([^\n]+)/.exec(block)?.[1].trim() ?? '',
      photometric: /Photometric Interpretation: ([^\n]+)/.exec(block)?.[1].trim() ?? '',
    });
  }
  return { pages, warnings: stderr.trim() };
}

/** A PDF with `pages` pages of text, made by Ghostscript from PostScript (an independent producer). */
export async function makePdf(dir: string, pages: number, label = 'Test document'): Promise<Buffer> {
  const ps = ['%!PS', '/Helvetica findfont 28 scalefont setfont'];
  for (let p = 1; p <= pages; p++) {
    ps.push(`72 700 moveto (${label} page ${p} of ${pages}) show`);
    ps.push('4 setlinewidth 72 650 moveto 540 650 lineto stroke');
    ps.push(`/Helvetica findfont 14 scalefont setfont 72 600 moveto (Line art and text for the fax judges.) show /Helvetica findfont 28 scalefont setfont`);
    ps.push('showpage');
  }
  const src = join(dir, `doc-${pages}.ps`);
  const out = join(dir, `doc-${pages}.pdf`);
  await writeFile(src, ps.join('\n'));
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', '-sPAPERSIZE=letter', `-sOutputFile=${out}`, src]);
  return readFile(out);
}
