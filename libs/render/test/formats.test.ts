// Formats and page rules one by one, rendered in-process (the sandbox is tested on its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { getPixel, type Bitmap } from '@faxgate/fax-image';
import { renderPart, type PartRenderOptions } from '../src/index.ts';
import * as C from './corpus.ts';

const base: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 50, maxPixels: 1e8, office: false, officeTimeoutMs: 10_000 };
const A4_ROWS = Math.round((841.89 / 72) * 196);

function ink(b: Bitmap): number {
  let n = 0;
  for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) n += getPixel(b, x, y);
  return n / (b.width * b.height);
}

test('images in every format a mail brings: PNG, GIF, BMP (MuPDF), WebP, TIFF colour scan (sharp)', async () => {
  const logo = await C.logoPng(800, 200);
  const formats: Array<[string, Uint8Array]> = [
    ['image/png', logo],
    ['image/gif', new Uint8Array(await sharp(logo).gif().toBuffer())],
    ['image/webp', new Uint8Array(await sharp(logo).webp().toBuffer())],
    ['image/tiff', new Uint8Array(await sharp(logo).tiff({ compression: 'lzw' }).toBuffer())],
    ['image/bmp', bmp24(200, 100)],
  ];
  for (const [type, data] of formats) {
    const pages = await renderPart({ label: `x.${type}`, mimeType: type, data }, base);
    assert.equal(pages.length, 1, type);
    assert.equal(pages[0].bitmap.width, 1728, type);
    const share = ink(pages[0].bitmap);
    assert.ok(share > 0.005 && share < 0.5, `${type}: ink ${share}`);
  }
});

/** A 24-bit BMP, black left half, white right half. */
function bmp24(w: number, h: number): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + row * h, 0xff);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(0, 30);
  buf.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++) buf.fill(0, 54 + y * row, 54 + y * row + (w / 2) * 3);
  return new Uint8Array(buf);
}

test('an encrypted PDF that opens without a password renders; one that needs a password is refused with the reason', async () => {
  const ps = C.letterPs([{ ...C.A4, title: 'Encrypted' }]);
  const restricted = C.psToPdf(ps, ['-sOwnerPassword=owner', '-dEncryptionR=3', '-dKeyLength=128', '-dPermissions=-3904']);
  assert.match(Buffer.from(restricted).toString('latin1'), /\/Encrypt/);
  assert.equal((await renderPart({ label: 'r.pdf', mimeType: 'application/pdf', data: restricted }, base)).length, 1);
  const locked = C.psToPdf(ps, ['-sOwnerPassword=owner', '-sUserPassword=user', '-dEncryptionR=3', '-dKeyLength=128']);
  await assert.rejects(renderPart({ label: 'l.pdf', mimeType: 'application/pdf', data: locked }, base), /protected by a password/);
});

test('a legal page is scaled onto A4 by default, split into pages when configured; never cropped', async () => {
  const pdf = C.psToPdf(C.letterPs([{ ...C.LEGAL, title: 'Legal' }]));
  const scaled = await renderPart({ label: 'l.pdf', mimeType: 'application/pdf', data: pdf }, base);
  assert.equal(scaled.length, 1);
  assert.ok(Math.abs(scaled[0].bitmap.height - A4_ROWS) <= 1, `${scaled[0].bitmap.height}`);
  const split = await renderPart({ label: 'l.pdf', mimeType: 'application/pdf', data: pdf }, { ...base, longPages: 'split' });
  assert.equal(split.length, 2);
  assert.equal(split[0].bitmap.height, A4_ROWS);
  // Width-fitted legal page: 1008 pt tall at 609.9/612 scale and 196 lpi, split without loss.
  const full = Math.round(1008 * (1728 * 72 / 204 / 612) * (196 / 72));
  assert.ok(Math.abs(split[0].bitmap.height + split[1].bitmap.height - full) <= 2, `${split.map((p) => p.bitmap.height)} vs ${full}`);
});

test('Letter paper lays out text and HTML on Letter; standard resolution halves the lines', async () => {
  const text = new TextEncoder().encode('hello\n');
  const letter = await renderPart({ label: 't', mimeType: 'text/plain', data: text }, { ...base, pageHeightPt: 792 });
  assert.equal(letter[0].bitmap.height, Math.round((792 / 72) * 196));
  const std = await renderPart({ label: 't', mimeType: 'text/plain', data: text }, { ...base, yDpi: 98 });
  assert.equal(std[0].yDpi, 98);
  assert.ok(Math.abs(std[0].bitmap.height - Math.round((841.89 / 72) * 98)) <= 1);
});

test('Office documents: a clear reason when conversion is off; the page limit holds', async () => {
  const docx = new Uint8Array([0x50, 0x4b, 0x03, 0x04]);
  await assert.rejects(renderPart({ label: 'a.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: docx }, base), /Office documents are not converted on this gateway/);
  const many = C.psToPdf(C.letterPs(Array.from({ length: 6 }, (_, i) => ({ ...C.A4, title: `p${i}` }))));
  await assert.rejects(renderPart({ label: 'm.pdf', mimeType: 'application/pdf', data: many }, { ...base, maxPages: 5 }), /it has 6 pages, more than the limit of 5/);
});

test('HTML wider than the page (a 1200-pixel table) is laid out wide and scaled down, not cut off at the edge', async () => {
  const { prepareMailHtml } = await import('../src/html-mail.ts');
  const cells = Array.from({ length: 8 }, (_, i) => `<td style="border:1px solid black">Column ${i + 1} with some words</td>`).join('');
  const html = prepareMailHtml(`<table width="1200" style="width:1200px"><tr>${cells}</tr></table><p>after</p>`, []).html;
  const pages = await renderPart({ label: 'wide.html', mimeType: 'text/html', data: new TextEncoder().encode(html) }, base);
  assert.equal(pages.length, 1);
  const b = pages[0].bitmap;
  let edge = 0;
  let right = 0;
  for (let y = 0; y < 600; y++) {
    for (let x = 1716; x < 1728; x++) edge += getPixel(b, x, y);
    for (let x = 1400; x < 1716; x++) right += getPixel(b, x, y);
  }
  assert.equal(edge, 0, 'nothing runs into the right edge');
  assert.ok(right > 200, `the last columns are on the page (${right} black pels)`);
});

test('a long screenshot: shrunk onto one page by default, at full width over several pages in split mode', async () => {
  // 1000 × 6000 pixels: black bands every 500 rows on white.
  const w = 1000;
  const h = 6000;
  const raw = Buffer.alloc(w * h, 255);
  for (let y = 0; y < h; y += 500) raw.fill(0, y * w, (y + 20) * w);
  const png = new Uint8Array(await sharp(raw, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer());
  const scaled = await renderPart({ label: 's.png', mimeType: 'image/png', data: png }, base);
  assert.equal(scaled.length, 1);
  const split = await renderPart({ label: 's.png', mimeType: 'image/png', data: png }, { ...base, longPages: 'split' });
  // Scaled to the 1728-pel width (×1.728) and to 196 of 204 lpi, 6000 rows become 9961 fax rows: 5 pages.
  assert.equal(split.length, 5);
  assert.ok(split.every((p) => p.bitmap.width === 1728 && p.bitmap.height === A4_ROWS));
  // Every band is on some page, none lost between pages: 12 bands of 20 × 1.728 rows.
  let bandRows = 0;
  for (const p of split) for (let y = 0; y < p.bitmap.height; y++) bandRows += getPixel(p.bitmap, 864, y);
  assert.ok(Math.abs(bandRows - 12 * 20 * 1.728 * (196 / 204)) < 12 * 3, `${bandRows}`);
});

test('a multi-page colour TIFF scan: every page is faxed', async () => {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-scan-'));
  try {
    const logo = await C.logoPng(800, 200);
    writeFileSync(join(dir, 'a.tif'), await sharp(logo).tiff().toBuffer());
    writeFileSync(join(dir, 'b.tif'), await sharp(await C.photo(600, 800)).tiff().toBuffer());
    // libtiff joins them into one two-page RGB TIFF, as a scanner would write it.
    execFileSync('tiffcp', [join(dir, 'a.tif'), join(dir, 'b.tif'), join(dir, 'scan.tif')]);
    const scan = new Uint8Array(readFileSync(join(dir, 'scan.tif')));
    const pages = await renderPart({ label: 'scan.tif', mimeType: 'image/tiff', data: scan }, base);
    assert.equal(pages.length, 2);
    assert.ok(pages.every((p) => p.bitmap.width === 1728 && p.yDpi === 196));
    // The second page is the photo: far more ink than the logo page.
    assert.ok(ink(pages[1].bitmap) > 2 * ink(pages[0].bitmap), `${ink(pages[0].bitmap)} ${ink(pages[1].bitmap)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
