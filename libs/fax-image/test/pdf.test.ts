// TIFF → PDF, judged by Ghostscript rendering the PDF back to pixels.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { firstDifference, readTiff, tiffToPdf, writeTiff, writeTiffRaw, type Bitmap, type FaxCompression } from '../src/index.ts';
import { adversarialRasters, ditheredPhoto, textPage } from '@faxgate/testkit';
import { gs, readPbm, Scratch, tiffcp } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());

/**
 * Renders each PDF page with Ghostscript at the TIFF page's resolution and compares with the TIFF's
 * raster. That raster comes from our reader, which libtiff.test.ts holds to libtiff's; libtiff itself
 * cannot be the reference here because its 1-D decoder overflows on a 1728-wide row of 1729 runs,
 * which the dithered photo has (even in files tiffcp wrote: "Fax3Decode1D: Buffer overflow").
 */
function assertPdfMatches(tiff: Uint8Array, name: string): Uint8Array {
  const pdf = tiffToPdf(tiff);
  const pdfFile = scratch.write(`${name}.pdf`, pdf);
  // Ghostscript reports (and silently repairs) malformed xref tables, objects or streams.
  const check = spawnSync('gs', ['-dNOPAUSE', '-dBATCH', '-dSAFER', '-dPDFSTOPONERROR', '-sDEVICE=nullpage', pdfFile], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.doesNotMatch(check.stdout + check.stderr, /error|warning|repair/i);
  const pages = readTiff(tiff);
  pages.forEach((p, i) => {
    const out = scratch.path(`${name}-${i}.pbm`);
    gs('pbmraw', pdfFile, out, [`-r${p.xDpi}x${p.yDpi}`, `-dFirstPage=${i + 1}`, `-dLastPage=${i + 1}`]);
    const rendered = readPbm(readFileSync(out));
    const d = firstDifference(rendered, p.decode());
    assert.equal(d, null, `${name} page ${i}: ${rendered.width}x${rendered.height} vs ${p.width}x${p.height}, first difference ${JSON.stringify(d)}`);
  });
  return pdf;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay).indexOf(Buffer.from(needle)) >= 0;
}

const pages: { bitmap: Bitmap; xDpi: number; yDpi: number }[] = [
  { bitmap: textPage(1728, 700, 11), xDpi: 204, yDpi: 196 },
  { bitmap: ditheredPhoto(1728, 300), xDpi: 204, yDpi: 98 },
  { bitmap: adversarialRasters(2432, 50).edges, xDpi: 204, yDpi: 196 },
  { bitmap: adversarialRasters(1731, 20).checker, xDpi: 204, yDpi: 196 },
];

describe('tiffToPdf renders in Ghostscript to the TIFF\'s pixels', () => {
  for (const compression of ['mh', 'mr', 'mmr'] as FaxCompression[]) {
    it(`our ${compression} file, data embedded unchanged`, () => {
      const tiff = writeTiff(pages, { compression });
      const pdf = assertPdfMatches(tiff, `ours-${compression}`);
      for (const p of readTiff(tiff)) assert.ok(contains(pdf, p.strips[0]), 'strip bytes appear verbatim in the PDF');
      assert.ok(pdf.length < tiff.length + 4096, 'no re-rasterisation: PDF about the size of the TIFF');
      // 1728 / 204 × 72 pt wide, 700 rows / 196 × 72 pt high.
      assert.ok(Buffer.from(pdf).toString('latin1').includes('/MediaBox [0 0 609.8824 257.1429]'), 'page size from the resolution');
    });
  }

  it('libtiff and Ghostscript files: G3 without fill, FillOrder 2, several strips', () => {
    const source = scratch.write('src.tif', writeTiffRaw(pages.map((p) => ({
      width: p.bitmap.width, height: p.bitmap.height, xDpi: p.xDpi, yDpi: p.yDpi, compression: 1, fillOrder: 1 as const,
      rowsPerStrip: p.bitmap.height, strips: [p.bitmap.data],
    }))));
    for (const args of [['-c', 'g3'], ['-c', 'g3:2d', '-f', 'lsb2msb'], ['-c', 'g4', '-r', '33'], ['-c', 'none']]) {
      const file = scratch.path(`lt${args.join('')}.tif`);
      tiffcp([...args, source, file]);
      assertPdfMatches(readFileSync(file), `libtiff${args.join('')}`);
    }
    const ps = scratch.write('p.ps', new TextEncoder().encode('%!PS\n/Courier findfont 12 scalefont setfont 72 700 moveto (fax to email) show 100 100 200 30 rectfill showpage\n'));
    for (const device of ['tiffg3', 'tiffg32d', 'tiffg4']) {
      const file = scratch.path(`gs-${device}.tif`);
      gs(device, ps, file, ['-r204x98', '-sPAPERSIZE=a4']);
      assertPdfMatches(readFileSync(file), `gs-${device}`);
    }
  });
});
