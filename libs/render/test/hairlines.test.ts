// Thin table rules (0.25 pt, as Word and LibreOffice draw "hairline" borders) must survive the
// conversion to 1-bit: at 204×196 dpi such a rule covers about 0.7 pel, so its anti-aliased grey
// is lighter than the threshold and a plain threshold drops it, where Ghostscript's and
// Poppler's mono rendering keep it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPixel, type Bitmap } from '@faxgate/fax-image';
import { classifyBlocks, renderPart, toBilevel, type PartRenderOptions } from '../src/index.ts';
import { findSoffice } from '../src/office-convert.ts';

const soffice = await findSoffice();

/** A hand-written PDF (the xref offsets counted here): one page, the content stream given. */
function pdfWithContent(content: string, page = { w: 612, h: 792 }): Uint8Array {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [3 0 R] /Count 1 >>`,
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${page.w} ${page.h}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** A ruled table: `rows` horizontal and 4 vertical 0.25 pt rules, a word in each cell. */
function tablePdf(rows: number[]): string {
  const xs = [72, 222, 372, 540];
  const h = rows.map((y) => `72 ${y} m 540 ${y} l S`).join('\n');
  const v = xs.map((x) => `${x} ${rows[0]} m ${x} ${rows[rows.length - 1]} l S`).join('\n');
  const words = rows.slice(0, -1).flatMap((y, r) => xs.slice(0, -1).map((x, c) => `BT /F1 10 Tf ${x + 6} ${y - 14} Td (Cell ${r + 1}.${c + 1}) Tj ET`)).join('\n');
  return `0 0 0 RG 0.25 w\n${h}\n${v}\n${words}\n`;
}

const opts = (yDpi: number): PartRenderOptions => ({ yDpi, pageHeightPt: 792, longPages: 'scale', maxPages: 2, maxPixels: 1e8, office: false, officeTimeoutMs: 1000 });

/** Black pels in row y between x0 and x1. */
function inkInRow(b: Bitmap, y: number, x0: number, x1: number): number {
  let n = 0;
  for (let x = x0; x < x1; x++) n += getPixel(b, x, y);
  return n;
}

/** Where a rule at `yPt` (PDF space, from the bottom) lands on the page: the rows a pel either side of it. */
function ruleRows(yPt: number, b: Bitmap, pageHeightPt: number): number[] {
  const centre = ((pageHeightPt - yPt) * b.height) / pageHeightPt;
  return [Math.floor(centre) - 1, Math.floor(centre), Math.floor(centre) + 1];
}

for (const [name, yDpi] of [['fine', 196], ['standard', 98]] as const) {
  test(`0.25 pt table rules leave a row of ink where each rule is (${name} resolution)`, async () => {
    // Rules at fractional positions, so some fall between two raster rows.
    const rows = [700, 667.3, 634.6, 601.9, 569.2, 536.5];
    const [page] = await renderPart({ label: 'table.pdf', mimeType: 'application/pdf', data: pdfWithContent(tablePdf(rows)) }, opts(yDpi));
    const b = page.bitmap;
    // The page is scaled to the 1728-pel line, its height by the same factor.
    const xOf = (pt: number) => Math.round((pt * b.width) / 612);
    const yOf = (pt: number) => ((792 - pt) * b.height) / 792;
    const x0 = xOf(80);
    const x1 = xOf(530);
    for (const y of rows) {
      const best = Math.max(...ruleRows(y, b, 792).map((r) => inkInRow(b, r, x0, x1)));
      // A row across the rule is (nearly) solid: no more than a few pels missing of ~1250.
      assert.ok(best >= (x1 - x0) * 0.97, `rule at ${y} pt: best row has ${best} of ${x1 - x0} pels inked`);
    }
    // And the vertical rules: a column of ink down the table at each x.
    const top = Math.ceil(yOf(rows[0])) + 3;
    const bottom = Math.floor(yOf(rows[rows.length - 1])) - 3;
    for (const xPt of [222, 372]) {
      const c = xOf(xPt);
      let best = 0;
      for (let x = c - 2; x <= c + 2; x++) {
        let n = 0;
        for (let y = top; y < bottom; y++) n += getPixel(b, x, y);
        best = Math.max(best, n);
      }
      assert.ok(best >= (bottom - top) * 0.97, `vertical rule at ${xPt} pt: ${best} of ${bottom - top} pels`);
    }
  });
}

test('the thin-line rule adds no ink to anti-aliased edges of solid strokes or to flat grey', () => {
  // A 3-row black bar with a grey edge pel below it, a flat light-grey band, and paper.
  // (Kept few enough mid-tones per block that the page is not taken for a photo.)
  const w = 64;
  const h = 128;
  const pixels = new Uint8Array(w * h).fill(255);
  for (let x = 0; x < w; x++) {
    for (let y = 5; y < 8; y++) pixels[y * w + x] = 0;
    pixels[8 * w + x] = 170;
    for (let y = 40; y < 44; y++) pixels[y * w + x] = 190;
  }
  const g = { width: w, height: h, stride: w, pixels };
  assert.equal(classifyBlocks(g).photo.includes(1), false);
  const b = toBilevel(g);
  assert.equal(inkInRow(b, 8, 0, w), 0, 'edge pel of a solid stroke stays white');
  for (let y = 40; y < 44; y++) assert.equal(inkInRow(b, y, 0, w), 0, `flat grey row ${y} stays white`);
});

test('a lone hairline in grey (one row at 170, two rows at 190/200) becomes one black row', () => {
  const w = 64;
  const h = 30;
  const pixels = new Uint8Array(w * h).fill(255);
  for (let x = 0; x < w; x++) {
    pixels[5 * w + x] = 170;
    pixels[15 * w + x] = 190;
    pixels[16 * w + x] = 200;
  }
  const b = toBilevel({ width: w, height: h, stride: w, pixels });
  assert.equal(inkInRow(b, 5, 0, w), w);
  assert.equal(inkInRow(b, 15, 0, w), w);
  assert.equal(inkInRow(b, 16, 0, w), 0, 'the lighter row of a two-row hairline stays white: the rule is one pel, not two');
});

/** An RTF order table: four rows of three cells, every border 5 twips (0.25 pt) wide. */
function rtfTable(): string {
  const border = ['t', 'l', 'b', 'r'].map((side) => `\\clbrdr${side}\\brdrs\\brdrw5`).join('');
  const rowDef = `\\trowd\\trgaph108 ${border}\\cellx3000 ${border}\\cellx6000 ${border}\\cellx9000`;
  const rows = [1, 2, 3, 4].map((r) => `${rowDef}\\pard\\intbl Item ${r}\\cell Qty ${r}\\cell Price ${r}\\cell\\row`).join('\n');
  return `{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\fs22 Order\\par\n${rows}\n\\pard\\par}`;
}

test('an Office table with 0.25 pt borders keeps all five of its rules (LibreOffice conversion)', { skip: soffice ? false : 'LibreOffice is not installed', timeout: 300_000 }, async () => {
  const [page] = await renderPart({ label: 'order.rtf', mimeType: 'application/rtf', data: new TextEncoder().encode(rtfTable()) }, { ...opts(196), office: true, officeTimeoutMs: 120_000 });
  const b = page.bitmap;
  // The table is 9000 twips (6.25 in, ~1275 pels) wide: a rule is a row with most of that inked;
  // text rows never come close. Adjacent such rows are one rule.
  const rules: number[][] = [];
  for (let y = 0; y < b.height; y++) {
    if (inkInRow(b, y, 0, b.width) < 1000) continue;
    const last = rules[rules.length - 1];
    if (last && last[last.length - 1] === y - 1) last.push(y);
    else rules.push([y]);
  }
  assert.equal(rules.length, 5, `rule rows found: ${rules.map((r) => r.join('+')).join(', ')}`);
});
