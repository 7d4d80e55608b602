// The fixture corpus: mails shaped like what real clients send, built at test time from
// PostScript (through Ghostscript), images made with sharp and fax TIFFs made with fax-image.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { createBitmap, setPixel, writeTiff, type Bitmap } from '@faxgate/fax-image';

const CRLF = '\r\n';
const b64 = (data: Uint8Array | string) => (Buffer.from(data).toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);

/** Runs Ghostscript on PostScript and returns the PDF (pdfwrite), with extra device options. */
export function psToPdf(ps: string, extra: string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-corpus-'));
  try {
    writeFileSync(join(dir, 'in.ps'), ps);
    execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pdfwrite', ...extra, `-sOutputFile=${join(dir, 'out.pdf')}`, join(dir, 'in.ps')]);
    return new Uint8Array(readFileSync(join(dir, 'out.pdf')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ghostscript's own fax rendering of a PDF: one G4 TIFF at 204×196 dpi (the reference). */
export function gsFaxTiff(pdf: Uint8Array, paper = 'a4'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-gs-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf);
    execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', `-sPAPERSIZE=${paper}`, `-sOutputFile=${join(dir, 'out.tif')}`, join(dir, 'in.pdf')]);
    return new Uint8Array(readFileSync(join(dir, 'out.tif')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A letter in PostScript: heading, paragraphs of text, a ruled table and a box: text and line art. */
export function letterPs(pages: Array<{ w: number; h: number; title: string; rotate?: number }>): string {
  const body = pages
    .map((p, i) => {
      const lines = Array.from({ length: Math.floor((p.h - 260) / 16) }, (_, k) => `72 ${p.h - 170 - k * 16} moveto (Line ${k + 1} of page ${i + 1}: the quick brown fox jumps over the lazy dog 0123456789.) show`).join('\n');
      const rotate = p.rotate ? `[{ThisPage} << /Rotate ${p.rotate} >> /PUT pdfmark` : '';
      return `<< /PageSize [${p.w} ${p.h}] >> setpagedevice
${rotate}
/Helvetica-Bold findfont 22 scalefont setfont 72 ${p.h - 90} moveto (${p.title}) show
/Times-Roman findfont 11 scalefont setfont
${lines}
2 setlinewidth 60 ${p.h - 120} moveto ${p.w - 60} ${p.h - 120} lineto stroke
0.8 setlinewidth ${p.w - 200} 60 moveto ${p.w - 60} 60 lineto ${p.w - 60} 140 lineto ${p.w - 200} 140 lineto closepath stroke
${p.w - 200} 100 moveto ${p.w - 60} 100 lineto stroke ${p.w - 130} 60 moveto ${p.w - 130} 140 lineto stroke
showpage`;
    })
    .join('\n');
  return `%!PS-Adobe-3.0\n${body}\n`;
}

export const A4 = { w: 595, h: 842 };
export const LETTER = { w: 612, h: 792 };
export const LEGAL = { w: 612, h: 1008 };

/** A photo-like image: smooth gradients and a dark subject, with a black marker square in the top-left. */
export async function photo(width: number, height: number, orientation?: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const dx = x - width * 0.6;
      const dy = y - height * 0.55;
      const r = Math.sqrt(dx * dx + dy * dy) / Math.min(width, height);
      const v = r < 0.25 ? 60 + 80 * r : 120 + 110 * (x / width) * (1 - 0.3 * (y / height));
      raw[i] = Math.min(255, v + 20);
      raw[i + 1] = v;
      raw[i + 2] = Math.max(0, v - 20);
      if (x < width / 8 && y < height / 8) raw[i] = raw[i + 1] = raw[i + 2] = 0;
    }
  }
  let img = sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 });
  if (orientation) img = img.withMetadata({ orientation });
  return new Uint8Array(await img.toBuffer());
}

/** A small logo or chart PNG: black shapes on white (line art). */
export async function logoPng(width: number, height: number): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><circle cx="${height / 2}" cy="${height / 2}" r="${height * 0.4}" fill="black"/><rect x="${height}" y="${height * 0.3}" width="${width - height * 1.2}" height="${height * 0.4}" fill="black"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A bar chart PNG with axis and labels-like bars (line art). */
export async function chartPng(): Promise<Uint8Array> {
  const bars = [40, 90, 65, 120, 100].map((h, i) => `<rect x="${40 + i * 60}" y="${160 - h}" width="40" height="${h}" fill="black"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="180"><rect width="100%" height="100%" fill="white"/><path d="M30 10 V160 H350" stroke="black" stroke-width="3" fill="none"/>${bars}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** A fax TIFF as a fax machine receives it: 1728 wide, standard resolution, text-like strokes. */
export function faxTiff(pages: number, yDpi = 98): { tiff: Uint8Array; bitmaps: Bitmap[] } {
  const bitmaps: Bitmap[] = [];
  for (let p = 0; p < pages; p++) {
    const h = yDpi > 150 ? 2200 : 1100;
    const b = createBitmap(1728, h);
    for (let y = 80; y < h - 80; y += 24) {
      for (let x = 100 + ((y * 7 + p * 13) % 200); x < 1600; x += 9) for (let k = 0; k < 5; k++) setPixel(b, x + k, y + (k % 3), 1);
    }
    for (let x = 100; x < 1628; x++) setPixel(b, x, 50 + p, 1);
    bitmaps.push(b);
  }
  return { tiff: writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi })), { compression: 'mr' }), bitmaps };
}

function headers(subject: string, extra: string[] = []): string {
  return [
    'From: Alice Sender <alice@example.com>',
    'To: "Bob Receiver" <12125550100@fax.localhost>',
    `Subject: ${subject}`,
    'Date: Mon, 02 Mar 2026 10:15:00 +0100',
    'Message-ID: <fixture-' + subject.replace(/\W+/g, '-') + '@example.com>',
    'MIME-Version: 1.0',
    ...extra,
  ].join(CRLF);
}

const enc = (s: string) => new TextEncoder().encode(s);

export interface CorpusMail {
  name: string;
  raw: Uint8Array;
}

/** Outlook: multipart/related around multipart/alternative, Word HTML with an inline chart, a signature logo and a remote tracking image. */
export async function outlookHtml(): Promise<CorpusMail> {
  const chart = await chartPng();
  const logo = await logoPng(240, 60);
  const html = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"><style><!-- p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;} --></style></head>
<body lang="EN-GB" link="#0563C1"><div class="WordSection1"><p class="MsoNormal">Dear Bob,<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Please find the quarterly figures below.<o:p></o:p></p>
<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse"><tr><td width="200"><p class="MsoNormal">Quarter</p></td><td width="200"><p class="MsoNormal">Revenue</p></td></tr>
<tr><td><p class="MsoNormal">Q1</p></td><td><p class="MsoNormal">1,200</p></td></tr><tr><td><p class="MsoNormal">Q2</p></td><td><p class="MsoNormal">1,450</p></td></tr></table>
<p class="MsoNormal"><img width="360" height="180" id="Picture_x0020_1" src="cid:image001.png@01D9A1B2.C3D4E5F0" alt="chart"></p>
<p class="MsoNormal">Kind regards,<br>Alice Sender<br><img width="240" height="60" src="cid:image002.png@01D9A1B2.C3D4E5F0" alt="Example Ltd logo"></p>
<p class="MsoNormal"><img src="https://tracker.example.net/open.gif?id=42" width="1" height="1" alt="track"></p></div></body></html>`;
  const raw = [
    headers('Quarterly figures', ['Content-Type: multipart/related; boundary="REL"; type="multipart/alternative"']),
    '',
    '--REL',
    'Content-Type: multipart/alternative; boundary="ALT"',
    '',
    '--ALT',
    'Content-Type: text/plain; charset="us-ascii"',
    '',
    'Dear Bob, Please find the quarterly figures below. Kind regards, Alice',
    '--ALT',
    'Content-Type: text/html; charset="us-ascii"',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    html.replace(/=/g, '=3D'),
    '--ALT--',
    '--REL',
    'Content-Type: image/png; name="image001.png"',
    'Content-Description: image001.png',
    'Content-Disposition: inline; filename="image001.png"',
    'Content-ID: <image001.png@01D9A1B2.C3D4E5F0>',
    'Content-Transfer-Encoding: base64',
    '',
    b64(chart),
    '--REL',
    'Content-Type: image/png; name="image002.png"',
    'Content-Disposition: inline; filename="image002.png"',
    'Content-ID: <image002.png@01D9A1B2.C3D4E5F0>',
    'Content-Transfer-Encoding: base64',
    '',
    b64(logo),
    '--REL--',
    '',
  ].join(CRLF);
  return { name: 'outlook-html', raw: enc(raw) };
}

/** Gmail: multipart/alternative, text and HTML saying the same thing. */
export function gmailAlternative(): CorpusMail {
  const raw = [
    headers('Lunch on Friday', ['Content-Type: multipart/alternative; boundary="000000000000a1b2c3"']),
    '',
    '--000000000000a1b2c3',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    'TEXTSIDE Hi Bob, are we still on for lunch on Friday? Alice',
    '--000000000000a1b2c3',
    'Content-Type: text/html; charset="UTF-8"',
    '',
    '<div dir="ltr"><b>HTMLSIDE</b> Hi Bob,<div><br></div><div>are we still on for <i>lunch</i> on Friday?</div><div><br></div><div>Alice</div></div>',
    '--000000000000a1b2c3--',
    '',
  ].join(CRLF);
  return { name: 'gmail-alternative', raw: enc(raw) };
}

/** Apple Mail: a short note and a 3-page PDF (A4, Letter, landscape). */
export function appleMailPdf(pdf: Uint8Array): CorpusMail {
  const raw = [
    headers('Contract', ['Content-Type: multipart/mixed; boundary="Apple-Mail=_1A2B"']),
    '',
    '--Apple-Mail=_1A2B',
    'Content-Transfer-Encoding: 7bit',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Here is the signed contract.',
    '',
    '--Apple-Mail=_1A2B',
    'Content-Disposition: attachment; filename=contract.pdf',
    'Content-Type: application/pdf; x-unix-mode=0644; name="contract.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(pdf),
    '--Apple-Mail=_1A2B--',
    '',
  ].join(CRLF);
  return { name: 'apple-mail-pdf', raw: enc(raw) };
}

/** A forwarded message (message/rfc822) whose HTML body and PNG attachment come along. */
export async function forwarded(): Promise<CorpusMail> {
  const inner = [
    'From: Carol Original <carol@example.org>',
    'To: alice@example.com',
    'Subject: Delivery schedule',
    'Date: Fri, 27 Feb 2026 16:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="IN"',
    '',
    '--IN',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>INNERBODY Trucks arrive <b>Tuesday</b> at 08:00.</p>',
    '--IN',
    'Content-Type: image/png',
    'Content-Disposition: attachment; filename="map.png"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(await logoPng(400, 200)),
    '--IN--',
    '',
  ].join(CRLF);
  const raw = [
    headers('Fwd: Delivery schedule', ['Content-Type: multipart/mixed; boundary="OUT"']),
    '',
    '--OUT',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See the message below.',
    '--OUT',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="Delivery schedule.eml"',
    '',
    inner,
    '--OUT--',
    '',
  ].join(CRLF);
  return { name: 'forwarded', raw: enc(raw) };
}

/** The non-Latin sample text: Japanese, Chinese, Korean, Russian, Greek, Hebrew, Arabic. */
export const NON_LATIN = ['日本語のファクスです。', '中文传真测试', '한국어 팩스', 'Русский текст', 'Ελληνικό κείμενο', 'טקסט בעברית', 'نص عربي'];

/** Non-Latin text in Shift_JIS (Japanese) as a body, and a UTF-8 text attachment with every script. */
export function nonLatin(): CorpusMail {
  const sjis = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'SHIFT_JIS'], { input: '東京本社より：見積書を送ります。\r\n' });
  const head = headers('=?UTF-8?B?' + Buffer.from('見積書').toString('base64') + '?=', ['Content-Type: multipart/mixed; boundary="NL"']);
  const parts = Buffer.concat([
    Buffer.from([head, '', '--NL', 'Content-Type: text/plain; charset=Shift_JIS', 'Content-Transfer-Encoding: 8bit', '', ''].join(CRLF)),
    sjis,
    Buffer.from([
      '--NL',
      'Content-Type: text/plain; charset=utf-8; name="scripts.txt"',
      'Content-Disposition: attachment; filename="scripts.txt"',
      'Content-Transfer-Encoding: base64',
      '',
      b64(NON_LATIN.join('\n') + '\n'),
      '--NL--',
      '',
    ].join(CRLF)),
  ]);
  return { name: 'non-latin', raw: new Uint8Array(parts) };
}

/** A long plain-text log pasted into a mail: the body becomes pages in monospace. */
export function longLog(lines = 400): CorpusMail & { lines: string[] } {
  const text = Array.from({ length: lines }, (_, i) => `2026-03-02T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z  worker-${i % 4}\tINFO   job ${1000 + i}\tcompleted in ${(i * 37) % 997} ms`);
  return { name: 'long-log', raw: enc([headers('Overnight log', ['Content-Type: text/plain; charset=utf-8']), '', text.join(CRLF), ''].join(CRLF)), lines: text };
}

/** A phone photo: 4032×3024 JPEG with EXIF orientation 6 (camera held upright). */
export async function phonePhoto(): Promise<CorpusMail & { jpeg: Uint8Array }> {
  const jpeg = await photo(1600, 1200, 6);
  const raw = [
    headers('Photo', ['Content-Type: multipart/mixed; boundary="PH"']),
    '',
    '--PH',
    'Content-Type: image/jpeg; name="IMG_0042.JPG"',
    'Content-Disposition: attachment; filename="IMG_0042.JPG"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(jpeg),
    '--PH--',
    '',
  ].join(CRLF);
  return { name: 'phone-photo', raw: enc(raw), jpeg };
}

/** A received fax (3 pages, standard resolution) forwarded as a TIFF attachment. */
export function faxTiffMail(): CorpusMail & { bitmaps: Bitmap[] } {
  const { tiff, bitmaps } = faxTiff(3);
  const raw = [
    headers('Fax from +44 20 7946 0018', ['Content-Type: multipart/mixed; boundary="FX"']),
    '',
    '--FX',
    'Content-Type: image/tiff; name="fax.tif"',
    'Content-Disposition: attachment; filename="fax.tif"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(tiff),
    '--FX--',
    '',
  ].join(CRLF);
  return { name: 'fax-tiff', raw: enc(raw), bitmaps };
}

/** A mail with an attachment nobody can fax (a zip): a notice page and a sentence. */
export function unsupportedAttachment(): CorpusMail {
  const raw = [
    headers('Archive', ['Content-Type: multipart/mixed; boundary="ZZ"']),
    '',
    '--ZZ',
    'Content-Type: text/plain',
    '',
    'Zip attached.',
    '--ZZ',
    'Content-Type: application/zip; name="files.zip"',
    'Content-Disposition: attachment; filename="files.zip"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)])),
    '--ZZ--',
    '',
  ].join(CRLF);
  return { name: 'unsupported', raw: enc(raw) };
}

/** The PDF used in the corpus: A4, Letter, landscape A4 (as /Rotate 90) and legal pages. */
export function contractPdf(): Uint8Array {
  return psToPdf(letterPs([{ ...A4, title: 'Page one (A4)' }, { ...LETTER, title: 'Page two (Letter)' }, { ...A4, title: 'Page three (rotated)', rotate: 90 }, { w: 842, h: 595, title: 'Page four (landscape A4)' }]));
}

/** A greyscale PNG of any size whose pixel data is all zeros (so it compresses to almost nothing). */
export function zeroPng(width: number, height: number, bitDepth = 8): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = 0;
  // Rows: filter byte + bytes; a real bomb's data is all there, deflated.
  const rowBytes = 1 + Math.ceil((width * bitDepth) / 8);
  const rows = height * rowBytes <= 200_000_000 ? height : 1;
  const idat = deflateSync(Buffer.alloc(rows * rowBytes), { level: 9 });
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
}

