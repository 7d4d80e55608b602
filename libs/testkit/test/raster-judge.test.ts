import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blackPixels, decodeTiffWithLibtiff, differingPixels, readPbm, tempDir } from '../src/index.ts';

const run = promisify(execFile);

// The judge is judged by Ghostscript alone: the same PostScript rendered once to a G4 TIFF
// (decoded by libtiff) and once to PBM must give the same pixels, page by page.
test('libtiff-decoded TIFF pages equal Ghostscript PBM pages of the same PostScript', async () => {
  const dir = await tempDir('raster-judge');
  try {
    const ps = ['%!PS'];
    for (let p = 1; p <= 2; p++) ps.push('/Helvetica findfont 30 scalefont setfont', `60 ${600 - p * 100} moveto (page ${p}) show`, `${p * 3} setlinewidth 60 300 moveto 500 ${300 + p * 50} lineto stroke`, 'showpage');
    await writeFile(join(dir.path, 'p.ps'), ps.join('\n'));
    const gs = ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-r204x196', '-g1728x1100'];
    await run('gs', [...gs, '-sDEVICE=tiffg4', `-sOutputFile=${join(dir.path, 'p.tif')}`, join(dir.path, 'p.ps')]);
    await run('gs', [...gs, '-sDEVICE=pbmraw', `-sOutputFile=${join(dir.path, 'p-%d.pbm')}`, join(dir.path, 'p.ps')]);
    const tiffPages = await decodeTiffWithLibtiff(join(dir.path, 'p.tif'), dir.path, 'p');
    assert.equal(tiffPages.length, 2);
    for (let i = 0; i < 2; i++) {
      const pbm = readPbm(await readFile(join(dir.path, `p-${i + 1}.pbm`)));
      assert.ok(blackPixels(pbm) > 1000, `page ${i + 1} has ink`);
      assert.equal(differingPixels(tiffPages[i], pbm), 0, `page ${i + 1}`);
    }
    assert.ok(differingPixels(tiffPages[0], tiffPages[1]) > 100, 'the two pages differ, so the comparison can fail');
  } finally {
    await dir.remove();
  }
});
