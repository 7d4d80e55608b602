// `faxgate render` as a user runs it: the real CLI entry point in a child process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as C from '../../../libs/render/test/corpus.ts';
import { pageClassPdfs } from '../../../libs/render/test/page-classes.ts';
import { findSoffice } from '../../../libs/render/src/office-convert.ts';
import { decodeTiffWithLibtiff, differingPixels, type Raster } from '@faxgate/testkit';
import { renderHtmlPages } from '@faxgate/render';

const soffice = await findSoffice();

const run = promisify(execFile);
const faxgate = resolve(import.meta.dirname, '../../../services/cli/src/main.ts');
const work = mkdtempSync(join(tmpdir(), 'faxgate-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('faxgate render: a mail and a PDF into one TIFF and PNG previews, judged by tiffinfo', async () => {
  writeFileSync(join(work, 'mail.eml'), (await C.outlookHtml()).raw);
  writeFileSync(join(work, 'doc.pdf'), C.psToPdf(C.letterPs([{ ...C.A4, title: 'Attached' }])));
  const out = join(work, 'out.tif');
  const r = await run(process.execPath, [faxgate, 'render', join(work, 'mail.eml'), join(work, 'doc.pdf'), '-o', out, '--png', join(work, 'png'), '--resolution', 'standard']);
  assert.match(r.stdout, /3 page\(s\)/);
  const info = (await run('tiffinfo', [out])).stdout;
  assert.equal(info.match(/Image Width: 1728/g)?.length, 3);
  assert.equal(info.match(/Resolution: 204, 98/g)?.length, 3);
  assert.deepEqual(readdirSync(join(work, 'png')), ['page-001.png', 'page-002.png', 'page-003.png']);
});

test('faxgate render: usage errors exit 2', async () => {
  await assert.rejects(run(process.execPath, [faxgate, 'render', 'x.pdf']), (e: { code: number; stderr: string }) => e.code === 2 && /-o <out.tif> is required/.test(e.stderr));
  await assert.rejects(run(process.execPath, [faxgate, 'render', 'x.pdf', '-o', 'y.tif', '--resolution', 'super']), (e: { code: number }) => e.code === 2);
});

/** Runs `faxgate render` with the given environment on top of a clean one (no FAXGATE_* of the test process). */
async function preview(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FAXGATE_')));
  return run(process.execPath, [faxgate, 'render', ...args], { env: { ...clean, ...env } });
}

const mailText = ['From: Hans Muster <hans@example.de>', 'To: 4930555000@fax.test', 'Subject: Angebot', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Bitte um Rückruf.', ''].join('\r\n');

test('faxgate render lays a mail out on the gateway\'s paper: A4 in Germany, Letter in the US (FAXGATE_PAPER=auto)', async () => {
  writeFileSync(join(work, 'angebot.eml'), mailText);
  // A4 is 842 pt high, Letter 792 pt: 2292 and 2156 rows at 196 lpi.
  const de = await preview([join(work, 'angebot.eml'), '-o', join(work, 'de.tif')], { FAXGATE_DEFAULT_COUNTRY: 'DE' });
  assert.match(de.stdout, /1 page\(s\), 1728x229[0-3]@204x196/);
  const us = await preview([join(work, 'angebot.eml'), '-o', join(work, 'us.tif')], { FAXGATE_DEFAULT_COUNTRY: 'US' });
  assert.match(us.stdout, /1 page\(s\), 1728x215[4-7]@204x196/);
  // The option still wins for one preview, validated like the variable.
  const forced = await preview([join(work, 'angebot.eml'), '-o', join(work, 'forced.tif'), '--paper', 'letter'], { FAXGATE_DEFAULT_COUNTRY: 'DE' });
  assert.match(forced.stdout, /1728x215[4-7]@204x196/);
  await assert.rejects(preview([join(work, 'angebot.eml'), '-o', join(work, 'x.tif'), '--paper', 'a3'], {}), (e: { code: number; stderr: string }) => e.code === 2 && /FAXGATE_PAPER/.test(e.stderr));
});

test('faxgate render screens a photo as the gateway is set to (FAXGATE_RENDER_PHOTO_DITHER), the option winning for one preview', async () => {
  const [{ pdf }] = pageClassPdfs(['grey photo'], 1);
  writeFileSync(join(work, 'photo.pdf'), pdf);
  const size = async (name: string, args: string[], env: Record<string, string>) => {
    const out = join(work, `${name}.tif`);
    await preview([join(work, 'photo.pdf'), '-o', out, ...args], env);
    return statSync(out).size;
  };
  const byDefault = await size('photo-default', [], {});
  const diffusion = await size('photo-diffusion', [], { FAXGATE_RENDER_PHOTO_DITHER: 'diffusion' });
  const forced = await size('photo-forced', ['--photo-dither', 'halftone'], { FAXGATE_RENDER_PHOTO_DITHER: 'diffusion' });
  // The screen codes to about a quarter of the diffusion's MMR (213 KB against 835 KB measured).
  assert.ok(byDefault * 3 < diffusion, `default ${byDefault} B, diffusion ${diffusion} B`);
  assert.equal(forced, byDefault);
  await assert.rejects(preview([join(work, 'photo.pdf'), '-o', join(work, 'x.tif'), '--photo-dither', 'stochastic'], {}), (e: { code: number; stderr: string }) => e.code === 2 && /FAXGATE_RENDER_PHOTO_DITHER/.test(e.stderr));
});

test('faxgate render converts Office documents when the gateway does (FAXGATE_RENDER_OFFICE), and says so when it does not', { skip: soffice ? false : 'LibreOffice is not installed', timeout: 300_000 }, async () => {
  const rtf = join(work, 'report.rtf');
  writeFileSync(rtf, '{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\fs48 Quarterly report\\par}');
  const on = await preview([rtf, '-o', join(work, 'office-on.tif')], { FAXGATE_RENDER_OFFICE: 'true' });
  assert.match(on.stdout, /1 page\(s\)/);
  assert.doesNotMatch(on.stderr, /not converted/);
  const off = await preview([rtf, '-o', join(work, 'office-off.tif')], {});
  assert.match(off.stderr, /Office documents are not converted on this gateway/);
});

test('faxgate render --cover-template: the preview\'s cover is the file, checked as a stored template is', async () => {
  const template = '<html><body><h1>PREVIEW COVER</h1><p>for a template not stored yet</p></body></html>';
  writeFileSync(join(work, 'cover.html'), template);
  writeFileSync(join(work, 'plain.eml'), 'From: alice@example.com\r\nTo: 12125550100@fax.test\r\nSubject: cover\r\n\r\n\r\n');
  const out = join(work, 'cover.tif');
  await preview([join(work, 'plain.eml'), '-o', out, '--cover-template', join(work, 'cover.html')], { FAXGATE_PAPER: 'a4' });
  const below = (b: Raster): Raster => ({ width: b.width, height: b.height - 40, stride: b.stride, data: b.data.subarray(40 * b.stride, b.stride * b.height) });
  const cover = (await decodeTiffWithLibtiff(out, work, 'cover'))[0];
  const expected = renderHtmlPages(template, { resolution: 'fine', paper: 'a4' })[0].bitmap;
  assert.equal(differingPixels(below(cover), below(expected)), 0, 'the cover is the template laid out alone (below the header line)');
  writeFileSync(join(work, 'remote.html'), '<p><img src="https://logo.example/l.png"></p>');
  await assert.rejects(preview([join(work, 'plain.eml'), '-o', out, '--cover-template', join(work, 'remote.html')], {}), (e: { code: number; stderr: string }) => e.code === 2 && /template "default" loads src="https:\/\/logo.example\/l.png"; only data: URIs/.test(e.stderr));
});
