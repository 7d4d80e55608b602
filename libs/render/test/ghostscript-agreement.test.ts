// PDFs rendered by faxgate (MuPDF, fax geometry, threshold) against Ghostscript's own fax
// rendering of the same file (`gs -sDEVICE=tiffg4 -r204x196`): the independent judge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTiff } from '@faxgate/fax-image';
import { renderPart } from '../src/index.ts';
import { bestAlignment } from './pixel-agreement.ts';
import * as C from './corpus.ts';

/** Stated agreement: at least 98 % of the ink of either rendering is within one pel of the other's. */
const REQUIRED = 0.98;

test(`PDF pages agree with Ghostscript's tiffg4 rendering (≥ ${REQUIRED * 100} % of ink within one pel)`, async () => {
  const pdf = C.psToPdf(C.letterPs([{ ...C.A4, title: 'Agreement page one' }, { ...C.A4, title: 'Agreement page two' }]));
  const ours = await renderPart({ label: 'a.pdf', mimeType: 'application/pdf', data: pdf }, { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 10, maxPixels: 1e8, office: false, officeTimeoutMs: 1000 });
  const gs = readTiff(C.gsFaxTiff(pdf)).map((p) => p.decode());
  assert.equal(ours.length, 2);
  assert.equal(gs.length, 2);
  for (let i = 0; i < 2; i++) {
    const a = ours[i].bitmap;
    const b = gs[i];
    // Both put A4 (1687 pels at 204 dpi) on the 1728-pel fax line, each in its own place.
    assert.equal(b.width, 1728);
    assert.ok(Math.abs(a.height - b.height) <= 1, `${a.height} vs ${b.height}`);
    const best = bestAlignment(a, b);
    process.stdout.write(`# page ${i + 1}: agreement ${(best.agreement * 100).toFixed(2)} % at dx=${best.dx} dy=${best.dy}\n`);
    assert.ok(best.agreement >= REQUIRED, `page ${i + 1}: ${(best.agreement * 100).toFixed(2)} %`);
  }
});

test('the agreement measure can fail: a different page does not agree', async () => {
  const pdf = C.psToPdf(C.letterPs([{ ...C.A4, title: 'One' }]));
  const other = C.psToPdf('%!PS\n/Helvetica-Bold findfont 48 scalefont setfont 60 500 moveto (A different page) show 4 setlinewidth 60 300 moveto 500 700 lineto stroke showpage\n');
  const ours = await renderPart({ label: 'a.pdf', mimeType: 'application/pdf', data: pdf }, { yDpi: 196, pageHeightPt: 842, longPages: 'scale', maxPages: 10, maxPixels: 1e8, office: false, officeTimeoutMs: 1000 });
  const gs = readTiff(C.gsFaxTiff(other)).map((p) => p.decode());
  const { agreement } = bestAlignment(ours[0].bitmap, gs[0]);
  assert.ok(agreement < 0.5, `${agreement}`);
});
