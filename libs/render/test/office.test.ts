// Office documents through LibreOffice headless, when it is installed (apt
// libreoffice-writer-nogui); without it the gateway sends a notice page (formats.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPixel } from '@faxgate/fax-image';
import { renderPart, type PartRenderOptions } from '../src/index.ts';
import { findSoffice } from '../src/office-convert.ts';

const soffice = await findSoffice();
const opts: PartRenderOptions = { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 50, maxPixels: 1e8, office: true, officeTimeoutMs: 120_000 };
const RTF = '{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\fs48 Quarterly report\\par\\fs24 Revenue rose in every region.\\par}';

test('RTF and DOCX are converted by LibreOffice and faxed', { skip: soffice ? false : 'LibreOffice is not installed', timeout: 300_000 }, async () => {
  const rtf = await renderPart({ label: 'report.rtf', mimeType: 'application/rtf', data: new TextEncoder().encode(RTF) }, opts);
  assert.equal(rtf.length, 1);
  let ink = 0;
  for (let y = 0; y < 600; y++) for (let x = 0; x < 1728; x++) ink += getPixel(rtf[0].bitmap, x, y);
  assert.ok(ink > 2000, `ink ${ink}`);
  // A DOCX written by LibreOffice itself from the same text.
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-docx-'));
  try {
    writeFileSync(join(dir, 'report.rtf'), RTF);
    execFileSync(soffice!, [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'docx', '--outdir', dir, join(dir, 'report.rtf')], { timeout: 120_000 });
    const docx = new Uint8Array(readFileSync(join(dir, 'report.docx')));
    const pages = await renderPart({ label: 'report.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: docx }, opts);
    assert.equal(pages.length, 1);
    assert.equal(pages[0].bitmap.width, 1728);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged Office file fails with LibreOffice\'s reason, not a hang', { skip: soffice ? false : 'LibreOffice is not installed', timeout: 300_000 }, async () => {
  await assert.rejects(renderPart({ label: 'broken.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]) }, opts), /LibreOffice/);
});
