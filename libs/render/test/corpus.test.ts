// The fixture corpus end to end: mails shaped like real clients' go through prepareFax and
// recipientPages exactly as the render service runs them; the TIFFs are judged by libtiff.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { bitmapsEqual, getPixel, writeTiff, type Bitmap, type FaxPage } from '@faxgate/fax-image';
import { prepareFax, recipientPages, RenderSandbox, installFonts, textToHtml, toBilevel, MuPdfEngine, FAX_WIDTH_PT, PAPER_PT, type ComposeSettings } from '../src/index.ts';
import { differingPixels } from '@faxgate/testkit';
import * as C from './corpus.ts';

const sandbox = new RenderSandbox({ timeoutMs: 60_000, memoryMb: 2048 });
const work = mkdtempSync(join(tmpdir(), 'faxgate-corpus-test-'));
after(async () => {
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
});

const settings = (over: Partial<ComposeSettings> = {}): ComposeSettings => ({
  resolution: 'fine', paper: 'a4', sandbox, preferHtml: true, cover: true, coverKeyword: 'cover', tagline: 'off', stationId: '', timeZone: 'UTC', ...over,
});

async function fax(mail: C.CorpusMail, over: Partial<ComposeSettings> = {}) {
  const s = settings(over);
  const prep = await prepareFax(mail.raw, { faxId: 'fxtest', sender: 'alice@example.com', date: new Date('2026-03-02T09:00:00Z') }, s);
  const pages = await recipientPages(prep, { name: 'Bob Receiver', number: '+12125550100' }, s);
  return { prep, pages };
}

const A4_FINE_ROWS = Math.round((841.89 / 72) * 196);

/** libtiff's view of a TIFF we wrote: per page width, length and resolution. */
function tiffinfo(pages: FaxPage[]): Array<{ width: number; length: number; res: string }> {
  const path = join(work, `judge-${Math.random().toString(36).slice(2)}.tif`);
  writeFileSync(path, writeTiff(pages, { compression: 'mmr' }));
  const out = execFileSync('tiffinfo', [path], { encoding: 'utf8' });
  // tiffcp decodes every strip: it fails on a corrupt G4 stream.
  execFileSync('tiffcp', ['-c', 'none', path, `${path}.raw.tif`]);
  return [...out.matchAll(/Image Width: (\d+) Image Length: (\d+)[\s\S]*?Resolution: ([\d.]+, [\d.]+)/g)].map((m) => ({ width: Number(m[1]), length: Number(m[2]), res: m[3] }));
}

/** Each line of MuPDF's structured text of a page, with its box in points. */
function structuredLines(page: mupdf.Page): Array<{ text: string; bbox: { x: number; y: number; w: number; h: number } }> {
  const st = page.toStructuredText('preserve-whitespace');
  try {
    const json = JSON.parse(st.asJSON()) as { blocks: Array<{ lines?: Array<{ text: string; bbox: { x: number; y: number; w: number; h: number } }> }> };
    return json.blocks.flatMap((b) => b.lines ?? []);
  } finally {
    st.destroy();
  }
}

/** A MuPDF page drawn at fax resolution, centred on the 1728-pel line and thresholded at half grey. */
function rasterOnFaxLine(page: mupdf.Page, yDpi: number): Bitmap {
  const pix = page.toPixmap(mupdf.Matrix.scale(204 / 72, yDpi / 72), mupdf.ColorSpace.DeviceGray, false);
  try {
    const w = pix.getWidth();
    const h = pix.getHeight();
    const src = pix.getPixels();
    const gray = new Uint8Array(1728 * h).fill(255);
    const dx = Math.floor((1728 - w) / 2);
    for (let y = 0; y < h; y++) gray.set(src.subarray(y * pix.getStride(), y * pix.getStride() + w), y * 1728 + dx);
    return toBilevel({ width: 1728, height: h, stride: 1728, pixels: gray });
  } finally {
    pix.destroy();
  }
}

/** Tab stops every 8 columns, written here again so the judge does not reuse the renderer's. */
function expandTabsTo8(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
  return out;
}

function black(b: Bitmap, x0: number, y0: number, w: number, h: number): number {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) n += getPixel(b, x, y);
  return n / (w * h);
}

test('Outlook HTML: one body with its inline chart and signature logo, tracking image not fetched', async () => {
  const { prep, pages } = await fax(await C.outlookHtml());
  assert.equal(prep.content.body, 'pages');
  assert.equal(prep.content.parts.length, 1, 'inline images are in the body, not separate attachments');
  const html = new TextDecoder().decode((prep.content.parts[0] as { data: Uint8Array }).data);
  assert.equal(html.match(/src="data:image\/png;base64,/g)?.length, 2);
  assert.match(html, /\[track: image from tracker\.example\.net not loaded\]/);
  assert.doesNotMatch(html, /https:/);
  assert.deepEqual(prep.notices, []);
  assert.equal(pages.length, 2);
  // The chart's bars are solid black: a good share of the body page is ink.
  assert.ok(black(pages[1].bitmap, 0, 0, 1728, 1200) > 0.03);
  const judged = tiffinfo(pages);
  assert.deepEqual(judged.map((p) => p.width), [1728, 1728]);
  assert.ok(judged.every((p) => p.length === A4_FINE_ROWS && p.res === '204, 196'), JSON.stringify(judged));
});

test('Gmail multipart/alternative: the HTML side by default, the text side when configured, never both', async () => {
  const html = await fax(C.gmailAlternative());
  assert.equal(html.prep.content.body, 'pages');
  const doc = new TextDecoder().decode((html.prep.content.parts[0] as { data: Uint8Array }).data);
  assert.match(doc, /HTMLSIDE/);
  assert.doesNotMatch(doc, /TEXTSIDE/);
  assert.equal(html.prep.content.bodyText, '');
  assert.equal(html.pages.length, 2);
  const text = await fax(C.gmailAlternative(), { preferHtml: false });
  assert.equal(text.prep.content.body, 'cover');
  assert.match(text.prep.content.bodyText, /TEXTSIDE/);
  assert.equal(text.prep.content.parts.length, 0);
  assert.equal(text.pages.length, 1);
});

test('Apple Mail with a PDF: mixed sizes fit the width, rotated and landscape pages come out portrait', async () => {
  const { prep, pages } = await fax(C.appleMailPdf(C.contractPdf()));
  assert.equal(prep.content.bodyText, 'Here is the signed contract.');
  assert.equal(pages.length, 5);
  const heights = pages.map((p) => p.bitmap.height);
  // A4 portrait; Letter (612 pt, scaled to the 609.9 pt fax width); A4 with /Rotate 90; landscape A4.
  assert.ok(Math.abs(heights[1] - A4_FINE_ROWS) <= 1, `${heights}`);
  assert.ok(Math.abs(heights[2] - Math.round(792 * (609.88 / 612) * (196 / 72))) <= 1, `${heights}`);
  assert.ok(Math.abs(heights[3] - A4_FINE_ROWS) <= 1 && Math.abs(heights[4] - A4_FINE_ROWS) <= 1, `${heights}`);
  // The /Rotate 90 page reads upright: its heading (bold, 22 pt) is at the top, not the bottom.
  const p = pages[3].bitmap;
  assert.ok(black(p, 0, 150, 1728, 150) > black(p, 0, p.height - 300, 1728, 150), 'heading at the top');
  assert.deepEqual(tiffinfo(pages).map((x) => x.width), [1728, 1728, 1728, 1728, 1728]);
});

test('forwarded message: rendered with its headers, its attachment follows', async () => {
  const { prep, pages } = await fax(await C.forwarded());
  assert.equal(prep.content.bodyText, 'See the message below.');
  assert.deepEqual(prep.content.parts.map((p) => p.label), ['the forwarded message "Delivery schedule"', 'map.png']);
  const doc = new TextDecoder().decode((prep.content.parts[0] as { data: Uint8Array }).data);
  assert.match(doc, /Forwarded message/);
  assert.match(doc, /Carol Original/);
  assert.match(doc, /INNERBODY/);
  assert.equal(pages.length, 3);
});

test('non-Latin text: Shift_JIS body decoded; CJK, Cyrillic, Greek, Hebrew, Arabic drawn with fonts that have the glyphs', async () => {
  const { prep, pages } = await fax(C.nonLatin());
  assert.equal(prep.content.bodyText, '東京本社より：見積書を送ります。');
  assert.equal(prep.cover.subject, '見積書');
  const text = new TextDecoder().decode((prep.content.parts[0] as { data: Uint8Array }).data);
  for (const line of C.NON_LATIN) assert.ok(text.includes(line), line);
  assert.equal(pages.length, 2);
  // Which font MuPDF used for each script, line by line.
  installFonts();
  for (const line of C.NON_LATIN) {
    const doc = mupdf.Document.openDocument(new TextEncoder().encode(`<p style="font-family:sans-serif">${line}</p>`), 'text/html');
    doc.layout(600, 200, 11);
    const json = JSON.parse(doc.loadPage(0).toStructuredText('preserve-whitespace').asJSON(1)) as { blocks: Array<{ lines: Array<{ font: { name: string } }> }> };
    const font = json.blocks[0].lines[0].font.name;
    if (/[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]/.test(line)) assert.ok(['JP', 'SC', 'TC', 'KR', 'HK'].includes(font), `${line}: ${font}`);
    else if (/[\u0590-\u05ff]/.test(line)) assert.equal(font, 'Hebrew');
    else if (/[\u0600-\u06ff]/.test(line)) assert.equal(font, 'Arabic');
    else {
      // MuPDF's own sans (Nimbus Sans, its Helvetica) carries Cyrillic and Greek.
      assert.match(font, /Nimbus Sans/);
      const f = new mupdf.Font('Helvetica');
      for (const ch of line.replace(/\s/g, '')) assert.notEqual(f.encodeCharacter(ch), 0, `${ch} in ${font}`);
    }
    doc.destroy();
  }
});

test('long plain-text log: the body becomes monospace pages, tabs expanded, nothing cut', async () => {
  const mail = C.longLog(400);
  const { prep, pages } = await fax(mail);
  assert.equal(prep.content.body, 'pages');
  assert.equal(prep.content.bodyText, '');
  // The judge: MuPDF lays the body out as the renderer must, its structured text names every
  // line on every page, and each fax page must be that page pixel for pixel.
  const body = prep.content.parts[0] as { mimeType: string; data: Uint8Array };
  assert.equal(body.mimeType, 'text/plain');
  // The renderer laid the body out in its sandbox with faxgate's fonts and drew it without
  // anti-aliasing; this process needs the same, whichever test ran before (the engine sets both).
  new MuPdfEngine();
  const doc = mupdf.Document.openDocument(new TextEncoder().encode(textToHtml(new TextDecoder().decode(body.data))), 'text/html');
  try {
    doc.layout(FAX_WIDTH_PT, PAPER_PT.a4.height, 11);
    assert.equal(pages.length, 1 + doc.countPages(), 'the cover and one fax page per laid-out page');
    const seen: string[] = [];
    for (let i = 0; i < doc.countPages(); i++) {
      const page = doc.loadPage(i);
      const [, , pw, ph] = page.getBounds();
      for (const line of structuredLines(page)) {
        assert.ok(line.bbox.x >= 0 && line.bbox.x + line.bbox.w <= pw && line.bbox.y + line.bbox.h <= ph, `"${line.text}" lies inside page ${i + 1}`);
        seen.push(line.text);
      }
      assert.equal(differingPixels(pages[i + 1].bitmap, rasterOnFaxLine(page, 196)), 0, `fax page ${i + 2} shows laid-out page ${i + 1}`);
      page.destroy();
    }
    // Tabs expanded to 8 columns: "worker-0<TAB>INFO" puts INFO at column 32.
    assert.deepEqual(seen, mail.lines.map((l) => expandTabsTo8(l)), 'every line of the log, whole and in order');
    assert.match(seen[0], /^2026-03-02T10:00:00Z {2}worker-0 {2}INFO {3}job 1000 completed in 0 ms$/);
  } finally {
    doc.destroy();
  }
});

test('phone photo JPEG: EXIF orientation honoured, dithered, one page', async () => {
  const { prep, pages } = await fax(await C.phonePhoto());
  assert.equal(prep.content.body, 'none');
  assert.equal(pages.length, 2);
  const p = pages[1].bitmap;
  // Orientation 6 turns the stored top-left marker to the top-right of the upright photo,
  // which fills the page width 1728 × 2304 → scaled to the page height.
  const top = 60;
  let left = 0;
  while (left < 1728 && black(p, left, 400, 1, 400) < 0.05) left++;
  const right = 1727 - left;
  const rightMarker = black(p, right - 60, top, 50, 50);
  const leftCorner = black(p, left + 10, top, 50, 50);
  assert.ok(rightMarker > 0.95, `marker top-right ${rightMarker}`);
  assert.ok(leftCorner > 0.2 && leftCorner < 0.8, `top-left is dithered grey ${leftCorner}`);
});

test('multi-page fax TIFF: passed through at its own (standard) resolution, no re-dither', async () => {
  const mail = C.faxTiffMail();
  const { pages } = await fax(mail);
  assert.equal(pages.length, 4);
  for (let i = 0; i < 3; i++) {
    assert.equal(pages[i + 1].yDpi, 98);
    assert.ok(bitmapsEqual(pages[i + 1].bitmap, mail.bitmaps[i]), `page ${i + 1} unchanged`);
  }
  const judged = tiffinfo(pages);
  assert.deepEqual(judged.map((p) => p.res), ['204, 196', '204, 98', '204, 98', '204, 98']);
});

test('an attachment that cannot be faxed: a notice page and the same sentence for the result mail', async () => {
  const { prep, pages } = await fax(C.unsupportedAttachment());
  assert.equal(prep.notices.length, 1);
  assert.match(prep.notices[0], /files\.zip \(application\/zip\) was not faxed/);
  assert.equal(pages.length, 2);
});

test('X-Fax-Cover: none puts the text body on pages and no cover in front', async () => {
  const raw = new TextEncoder().encode('From: a@example.com\r\nTo: 1@fax.localhost\r\nSubject: s\r\nX-Fax-Cover: none\r\n\r\nJust the text.\r\n');
  const { prep, pages } = await fax({ name: 'nocover', raw });
  assert.equal(prep.cover.skip, true);
  assert.equal(prep.content.body, 'pages');
  assert.equal(pages.length, 1);
});

test('header lines: page n of m on every page of a recipient fax, standard resolution', async () => {
  const { pages } = await fax(C.appleMailPdf(C.contractPdf()), { tagline: 'TOP|Page %%P of %%T', resolution: 'standard' });
  assert.equal(pages.length, 5);
  // The band at the top of each page must be the header line with that page's own text,
  // rendered on its own; the band of another page number must not match.
  const engine = new MuPdfEngine();
  const band = (text: string) => toBilevel(engine.renderTextLine(['TOP', text], 8, 98));
  const top = (b: Bitmap, rows: number): Bitmap => ({ width: b.width, height: rows, stride: b.stride, data: b.data.subarray(0, rows * b.stride) });
  pages.forEach((p, i) => {
    assert.equal(p.yDpi, 98);
    const want = band(`Page ${i + 1} of 5`);
    assert.equal(differingPixels(top(p.bitmap, want.height), want), 0, `page ${i + 1} is headed "TOP … Page ${i + 1} of 5"`);
    const wrong = band(`Page ${((i + 1) % 5) + 1} of 5`);
    assert.ok(differingPixels(top(p.bitmap, wrong.height), wrong) > 20, `page ${i + 1} is not headed with another number`);
  });
});

test('cover from the sender domain template, filled from the sender directory and the recipient book', async () => {
  const covers = join(work, 'covers');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(covers, 'domains'), { recursive: true });
  writeFileSync(join(covers, 'domains', 'example.com.html'), 'DOMAIN {{to_company}}|{{from_company}}|{{from_phone}}|{{from_fax}}|{{from_address}}');
  const directory = join(work, 'directory.json');
  writeFileSync(directory, JSON.stringify({ senders: { '@example.com': { company: 'Example Ltd', fax: '+1 212 555 0001', address: '1 Main St' }, 'alice@example.com': { phone: '+1 212 555 0100' } }, recipients: { '+1 212 555 0100': { company: 'Receiver Inc' } } }));
  const { prep } = await fax(C.gmailAlternative(), { coverTemplateDir: covers, senderDirectory: directory });
  assert.match(prep.cover.template!, /^DOMAIN /);
  assert.deepEqual({ ...prep.sender }, { company: 'Example Ltd', fax: '+1 212 555 0001', address: '1 Main St', phone: '+1 212 555 0100', name: 'Alice Sender' });
  const { fillTemplate, coverVariables, lookupRecipient } = await import('../src/index.ts');
  const known = lookupRecipient(prep.directory, '+12125550100');
  assert.equal(
    fillTemplate(prep.cover.template!, coverVariables({ recipientNumber: '+12125550100', recipientCompany: known.company, senderAddress: 'alice@example.com', senderCompany: prep.sender.company, senderPhone: prep.sender.phone, senderFax: prep.sender.fax, senderPostal: prep.sender.address, date: new Date(), pageCount: 2 })),
    'DOMAIN Receiver Inc|Example Ltd|+1 212 555 0100|+1 212 555 0001|1 Main St',
  );
});

test('paper by the sender\'s country: a US sender gets Letter pages, others the configured A4', async () => {
  const directory = join(work, 'countries.json');
  writeFileSync(directory, JSON.stringify({ senders: { 'alice@example.com': { country: 'US' } } }));
  const us = await fax(C.longLog(100), { senderDirectory: directory, paperAuto: true });
  assert.equal(us.prep.paper, 'letter');
  assert.ok(us.pages.every((p) => p.bitmap.height === Math.round((792 / 72) * 196)), `${us.pages.map((p) => p.bitmap.height)}`);
  const fixed = await fax(C.longLog(100), { senderDirectory: directory, paperAuto: false });
  assert.equal(fixed.prep.paper, 'a4');
  assert.ok(fixed.pages.every((p) => p.bitmap.height === A4_FINE_ROWS));
});

test('a signed mail with a CSV and an invitation: both printed as text, the signature not faxed and not noticed', async () => {
  const raw = new TextEncoder().encode([
    'From: Alice Sender <alice@example.com>', 'To: 12125550100@fax.localhost', 'Subject: Figures', 'MIME-Version: 1.0',
    'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="SIG"', '',
    '--SIG', 'Content-Type: multipart/mixed; boundary="MIX"', '',
    '--MIX', 'Content-Type: text/plain', '', 'Figures attached.',
    '--MIX', 'Content-Type: text/csv; name="q1.csv"', 'Content-Disposition: attachment; filename="q1.csv"', '', 'quarter,revenue', 'Q1,1200',
    '--MIX', 'Content-Type: text/calendar; method=REQUEST; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"', '', 'BEGIN:VCALENDAR', 'SUMMARY:Review', 'END:VCALENDAR',
    '--MIX--', '',
    '--SIG', 'Content-Type: application/pkcs7-signature; name="smime.p7s"', 'Content-Disposition: attachment; filename="smime.p7s"', 'Content-Transfer-Encoding: base64', '', 'MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==',
    '--SIG--', '',
  ].join('\r\n'));
  const { prep, pages } = await fax({ name: 'signed', raw });
  assert.deepEqual(prep.content.parts.map((p) => [p.label, p.kind === 'document' ? p.mimeType : p.kind]), [['q1.csv', 'text/plain'], ['invite.ics', 'text/plain']]);
  assert.deepEqual(prep.notices, []);
  assert.equal(pages.length, 3);
});
