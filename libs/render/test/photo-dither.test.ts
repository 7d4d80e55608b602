// A photo page through the render path (renderPart: MuPDF draws the PDF, the bilevel pass
// screens or diffuses it), coded MMR into a TIFF, and decoded by libtiff (tiffcp), no codec of
// ours in the judgement: the halftone screen (the default) must code smaller than Ghostscript's
// tiffg4 of the same PDF and keep the photo's tone; text pages must not change with the setting.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { decodeTiffWithLibtiff, tempDir } from '@faxgate/testkit';
import { classifyBlocks, MuPdfEngine, renderPart, type GrayPage, type PartRenderOptions, type PhotoDither } from '../src/index.ts';
import { pageClassPdfs } from './page-classes.ts';
import { toneError } from './tone.ts';

const dir = await tempDir('faxgate-photo-dither');
after(() => dir.remove());
const opts: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 10, maxPixels: 1e8, office: false, officeTimeoutMs: 60_000 };
const classes = new Map(pageClassPdfs(['grey photo', 'simple text'], 1).map((d) => [d.name, d.pdf]));
const photoPdf = classes.get('grey photo')!;
const textPdf = classes.get('simple text')!;

/** The grey page the bilevel pass sees, as MuPDF draws it for the render path. */
function grayOf(pdf: Uint8Array): GrayPage {
  const [g] = new MuPdfEngine().renderDocument(pdf, 'application/pdf', opts.yDpi, { pageHeightPt: opts.pageHeightPt }, (p) => ({ ...p, pixels: p.pixels.slice() }));
  return g;
}

/** One document through renderPart, as an MMR TIFF and as libtiff decodes it. */
async function rendered(pdf: Uint8Array, photoDither: PhotoDither | undefined, tag: string) {
  const pages = await renderPart({ label: tag, mimeType: 'application/pdf', data: pdf }, { ...opts, photoDither });
  assert.equal(pages.length, 1);
  const tiff = writeTiff(pages, { compression: 'mmr' });
  const [raster] = await decodeTiffWithLibtiff(tiff, dir.path, tag);
  assert.deepEqual([raster.width, raster.height], [pages[0].bitmap.width, pages[0].bitmap.height]);
  return { bytes: tiff.length, raster };
}

/** Ghostscript's tiffg4 of the same PDF at fax resolution: its file's bytes. */
function ghostscriptBytes(pdf: Uint8Array): number {
  const src = join(dir.path, 'gs-in.pdf');
  const out = join(dir.path, 'gs.tif');
  writeFileSync(src, pdf);
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${out}`, src]);
  return readFileSync(out).length;
}

test('a grey photo page is screened by default: MMR smaller than Ghostscript\'s tiffg4 and a quarter of the diffusion\'s, tone kept', async () => {
  const gray = grayOf(photoPdf);
  const { photo } = classifyBlocks(gray);
  assert.ok(photo.reduce((s, v) => s + v, 0) / photo.length > 0.5, 'the photo page is classified as photo');
  const screen = await rendered(photoPdf, undefined, 'photo-default');
  const diffusion = await rendered(photoPdf, 'diffusion', 'photo-diffusion');
  const gs = ghostscriptBytes(photoPdf);
  const screenTone = toneError(gray, screen.raster, photo);
  const diffusionTone = toneError(gray, diffusion.raster, photo);
  const evidence = `MMR bytes: screen ${screen.bytes}, diffusion ${diffusion.bytes}, gs tiffg4 ${gs}; tone error (8x8 mean abs, grey levels): screen ${screenTone.toFixed(2)}, diffusion ${diffusionTone.toFixed(2)}`;
  // Measured 213 KB, 835 KB and 330 KB; 2.1 and 15.6 grey levels (docs/performance.md).
  assert.ok(screen.bytes < gs, evidence);
  assert.ok(screen.bytes < 300 * 1024, evidence);
  assert.ok(screen.bytes * 3 < diffusion.bytes, evidence);
  assert.ok(screenTone < 4, evidence);
  assert.ok(screenTone < diffusionTone, evidence);
});

test('a text page is the same bits whichever photo dither is set (text stays thresholded)', async () => {
  const a = await rendered(textPdf, 'halftone', 'text-halftone');
  const b = await rendered(textPdf, 'diffusion', 'text-diffusion');
  assert.equal(a.bytes, b.bytes);
  assert.deepEqual(a.raster.data, b.raster.data);
});
