// Pages of each kind a fax gateway is sent, as one-page A4 PDFs made at run time through
// Ghostscript's pdfwrite: the classifier's tests and the render benchmark use the same pages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '@faxgate/testkit';
import { psToPdf } from './corpus.ts';

export type PageClass = 'simple text' | 'dense 5.5 pt text' | 'hairline table' | 'vector drawing' | 'grey photo' | 'scanned page';

const A4_W = 595;
const A4_H = 842;
const WORDS = 'the quick brown fox jumps over lazy dog facsimile gateway transmission page resolution modem invoice total amount due 0123 4567 89'.split(' ');

function words(rnd: () => number, chars: number): string {
  let line = '';
  while (line.length < chars) line += `${WORDS[Math.floor(rnd() * WORDS.length)]} `;
  return line.trim();
}

/** A business letter: 11 pt Times, a bold heading, a rule. */
function simpleTextPs(page: number): string {
  const rnd = prng(100 + page);
  const lines = Array.from({ length: 40 }, (_, k) => `72 ${A4_H - 150 - k * 15} moveto (${words(rnd, 85)}) show`).join('\n');
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
/Helvetica-Bold findfont 20 scalefont setfont 72 ${A4_H - 90} moveto (Quarterly statement) show
1 setlinewidth 72 ${A4_H - 110} moveto ${A4_W - 72} ${A4_H - 110} lineto stroke
/Times-Roman findfont 11 scalefont setfont
${lines}
showpage
`;
}

/** Small print: two columns of 5.5 pt Helvetica set nearly solid, on 5.8 pt leading (terms and conditions). */
function denseTextPs(page: number): string {
  const rnd = prng(200 + page);
  const rows = Math.floor((A4_H - 72) / 5.8);
  const col = (x: number) => Array.from({ length: rows }, (_, k) => `${x} ${(A4_H - 40 - k * 5.8).toFixed(1)} moveto (${words(rnd, 72)}) show`).join('\n');
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
/Helvetica findfont 5.5 scalefont setfont
${col(36)}
${col(308)}
showpage
`;
}

/** A ledger: 0.25 pt rules (Word's thinnest border) around cells of 7 pt figures. */
function hairlineTablePs(page: number): string {
  const rnd = prng(300 + page);
  const xs = [40, 150, 250, 350, 450, 555];
  const top = A4_H - 60;
  const rowH = 14;
  const rows = Math.floor((A4_H - 120) / rowH);
  const ys = Array.from({ length: rows + 1 }, (_, i) => top - i * rowH);
  const h = ys.map((y) => `${xs[0]} ${y} moveto ${xs[xs.length - 1]} ${y} lineto stroke`).join('\n');
  const v = xs.map((x) => `${x} ${ys[0]} moveto ${x} ${ys[ys.length - 1]} lineto stroke`).join('\n');
  const cells = ys.slice(0, -1).flatMap((y, r) => xs.slice(0, -1).map((x, c) => `${x + 4} ${y - 10} moveto (${c === 0 ? `Item ${r + 1}` : (rnd() * 100000).toFixed(2)}) show`)).join('\n');
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
0.25 setlinewidth
${h}
${v}
/Helvetica findfont 7 scalefont setfont
${cells}
showpage
`;
}

/** A plan: strokes of several widths, circles, curves, flat grey fills and labels. */
function vectorDrawingPs(page: number): string {
  const rnd = prng(400 + page);
  const shapes: string[] = [];
  for (let i = 0; i < 60; i++) {
    const x = 60 + rnd() * 470;
    const y = 80 + rnd() * 680;
    const r = 8 + rnd() * 40;
    const w = [0.25, 0.5, 1, 2][i % 4];
    shapes.push(`${w} setlinewidth newpath ${x.toFixed(1)} ${y.toFixed(1)} ${r.toFixed(1)} 0 360 arc closepath ${i % 5 === 0 ? `gsave ${(0.55 + (i % 3) * 0.15).toFixed(2)} setgray fill grestore` : ''} stroke`);
    shapes.push(`${w} setlinewidth newpath ${x.toFixed(1)} ${y.toFixed(1)} moveto ${(x + rnd() * 80 - 40).toFixed(1)} ${(y + 60).toFixed(1)} ${(x + 90).toFixed(1)} ${(y - 50).toFixed(1)} ${(x + 120).toFixed(1)} ${y.toFixed(1)} curveto stroke`);
  }
  const labels = Array.from({ length: 20 }, (_, i) => `${(60 + rnd() * 420).toFixed(0)} ${(80 + rnd() * 680).toFixed(0)} moveto (Room ${i + 1}) show`).join('\n');
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
${shapes.join('\n')}
/Helvetica findfont 8 scalefont setfont
${labels}
showpage
`;
}

/**
 * A smooth grey picture (a landscape of soft gradients, shading and grain), 8-bit: what a photo
 * is at fax resolution, deterministic so runs compare.
 */
export function greyPicture(w: number, h: number, seed = 5): Uint8Array {
  const rnd = prng(seed);
  const px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sky = 200 - (y / h) * 120;
      const hills = 60 * Math.sin(x / 70 + Math.sin(y / 110) * 2) * Math.cos(y / 90);
      const sun = 90 * Math.exp(-((x - w * 0.7) ** 2 + (y - h * 0.25) ** 2) / (2 * (w * 0.12) ** 2));
      const v = sky + hills + sun + (rnd() - 0.5) * 10;
      px[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return px;
}

/** PostScript drawing an 8-bit grey image of w × h samples into the box (x, y, width, height) in points. */
function imagePs(px: Uint8Array, w: number, h: number, box: [number, number, number, number]): string {
  return `gsave ${box[0]} ${box[1]} translate ${box[2]} ${box[3]} scale
${w} ${h} 8 [${w} 0 0 -${h} 0 ${h}] currentfile /ASCIIHexDecode filter image
${Buffer.from(px).toString('hex').replace(/.{1,254}/g, '$&\n')}>
grestore`;
}

/** A photo filling most of the page under a caption. */
function greyPhotoPs(page: number): string {
  const w = 700;
  const h = 900;
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
/Helvetica-Bold findfont 14 scalefont setfont 50 ${A4_H - 50} moveto (Site inspection, north wall) show
${imagePs(greyPicture(w, h, 500 + page), w, h, [50, 60, A4_W - 100, A4_H - 130])}
showpage
`;
}

/**
 * A scanned letter: the simple text page rasterised at 150 dpi (anti-aliased), on off-white
 * paper with sensor grain, embedded as a grey image, as a scanner's PDF holds it.
 */
function scannedPagePs(dir: string, page: number): string {
  writeFileSync(join(dir, 'letter.ps'), simpleTextPs(page));
  const pgm = join(dir, 'letter.pgm');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pgmraw', '-r150', '-dTextAlphaBits=4', '-dGraphicsAlphaBits=4', `-sOutputFile=${pgm}`, join(dir, 'letter.ps')]);
  const data = readFileSync(pgm);
  const header = /^P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 200).toString('latin1'));
  if (!header) throw new Error('unexpected PGM from Ghostscript');
  const w = Number(header[1]);
  const h = Number(header[2]);
  const rnd = prng(600 + page);
  const px = new Uint8Array(w * h);
  const src = data.subarray(header[0].length);
  // Paper at about 236 with grain, ink at about 35: what an office scanner's grey mode gives.
  for (let i = 0; i < w * h; i++) px[i] = Math.max(0, Math.min(255, Math.round(35 + (src[i] / 255) * 201 + (rnd() - 0.5) * 12)));
  return `%!PS
<< /PageSize [${A4_W} ${A4_H}] >> setpagedevice
${imagePs(px, w, h, [0, 0, A4_W, A4_H])}
showpage
`;
}

/** A PDF of each class, `pages` A4 pages of it (each page's text, figures or picture differ), made by Ghostscript. */
export function pageClassPdfs(only?: PageClass[], pages = 1): Array<{ name: PageClass; pdf: Uint8Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-page-classes-'));
  try {
    const make: Record<PageClass, (page: number) => string> = {
      'simple text': simpleTextPs,
      'dense 5.5 pt text': denseTextPs,
      'hairline table': hairlineTablePs,
      'vector drawing': vectorDrawingPs,
      'grey photo': greyPhotoPs,
      'scanned page': (page) => scannedPagePs(dir, page),
    };
    return (Object.keys(make) as PageClass[])
      .filter((n) => !only || only.includes(n))
      .map((name) => ({ name, pdf: psToPdf(Array.from({ length: pages }, (_, i) => make[name](i + 1)).join('')) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
