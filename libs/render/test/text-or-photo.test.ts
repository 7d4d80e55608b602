// The bilevel pass must threshold text (also 5.5 pt small print, hairline tables and grey scans
// of letters, whose anti-aliased edges are mostly mid-tones) and dither only real photos (with the
// halftone screen by default, or error diffusion).
// Pages are PDFs made by Ghostscript at test time and drawn by MuPDF as the worker draws them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitmapFromGray, getPixel, type Bitmap } from '@faxgate/fax-image';
import { classifyBlocks, MuPdfEngine, toBilevel, type GrayPage } from '../src/index.ts';
import { SCREEN } from '../src/halftone.ts';
import { pageClassPdfs, type PageClass } from './page-classes.ts';

const engine = new MuPdfEngine();

interface Drawn {
  photoShare: number;
  ours: Bitmap;
  /** A plain threshold at 128 of the same grey page. */
  thresholded: Bitmap;
  gray: GrayPage;
}

function draw(pdf: Uint8Array): Drawn {
  const [page] = engine.renderDocument(pdf, 'application/pdf', 196, {}, (g): Drawn => {
    const { photo } = classifyBlocks(g);
    const dense = new Uint8Array(g.width * g.height);
    for (let y = 0; y < g.height; y++) dense.set(g.pixels.subarray(y * g.stride, y * g.stride + g.width), y * g.width);
    const gray = { width: g.width, height: g.height, stride: g.width, pixels: dense };
    return { photoShare: photo.reduce((s, v) => s + v, 0) / photo.length, ours: toBilevel(g), thresholded: bitmapFromGray(dense, g.width, g.height, 128), gray };
  });
  return page;
}

/** Black pels with no black among their eight neighbours: dither dots, never part of a glyph at fax resolution. */
function isolatedDots(b: Bitmap): number {
  let n = 0;
  for (let y = 1; y < b.height - 1; y++) {
    for (let x = 1; x < b.width - 1; x++) {
      if (!getPixel(b, x, y)) continue;
      let around = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (dx || dy) around += getPixel(b, x + dx, y + dy);
      if (around === 0) n++;
    }
  }
  return n;
}

/**
 * Where the output departs from what a threshold allows: black where the grey is lighter than
 * any hairline's core (HAIRLINE_LIGHTEST, 215), or white where it is darker than the threshold.
 * Between the two the hairline keeper may add ink; error diffusion breaks both rules at every
 * anti-aliased edge.
 */
function thresholdViolations(ours: Bitmap, gray: GrayPage, y0 = 0, y1 = gray.height): { blackOnLight: number; whiteOnDark: number } {
  let blackOnLight = 0;
  let whiteOnDark = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < gray.width; x++) {
      const v = gray.pixels[y * gray.width + x];
      const black = getPixel(ours, x, y);
      if (black && v > 215) blackOnLight++;
      if (!black && v < 128) whiteOnDark++;
    }
  }
  return { blackOnLight, whiteOnDark };
}

const textClasses: PageClass[] = ['simple text', 'dense 5.5 pt text', 'hairline table', 'scanned page'];
const pages = new Map(pageClassPdfs([...textClasses, 'grey photo']).map((p) => [p.name, draw(p.pdf)]));

for (const name of textClasses) {
  test(`${name}: thresholded, never dithered`, () => {
    const d = pages.get(name)!;
    assert.equal(d.photoShare, 0, `${(d.photoShare * 100).toFixed(1)} % of the blocks were taken for photo`);
    assert.deepEqual(thresholdViolations(d.ours, d.gray), { blackOnLight: 0, whiteOnDark: 0 });
    // Error diffusion leaves lone dots around every anti-aliased edge; a threshold hardly any.
    const dots = isolatedDots(d.ours);
    assert.ok(dots <= isolatedDots(d.thresholded) + 50, `${dots} isolated dots against the threshold's ${isolatedDots(d.thresholded)}`);
  });
}

for (const method of ['halftone', 'diffusion'] as const) {
  test(`grey photo (${method}): the picture is dithered, its caption thresholded`, () => {
    const d = pages.get('grey photo')!;
    assert.ok(d.photoShare > 0.5, `only ${(d.photoShare * 100).toFixed(1)} % of the blocks taken for photo`);
    const { gray } = d;
    // The default (d.ours) is the screen; the diffusion is asked for.
    const ours = method === 'halftone' ? d.ours : toBilevel(gray, 128, 'diffusion');
    const box = { x0: 400, x1: 1300, y0: 900, y1: 1500 };
    let dots = 0;
    let black = 0;
    let greySum = 0;
    let offScreen = 0;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const v = gray.pixels[y * gray.width + x];
        black += getPixel(ours, x, y);
        greySum += v;
        if (getPixel(ours, x, y) && !getPixel(ours, x - 1, y) && !getPixel(ours, x + 1, y) && !getPixel(ours, x, y - 1) && !getPixel(ours, x, y + 1)) dots++;
        if (getPixel(ours, x, y) !== (v < SCREEN[(y & 7) * 8 + (x & 7)] ? 1 : 0)) offScreen++;
      }
    }
    const area = (box.x1 - box.x0) * (box.y1 - box.y0);
    // Inside the picture (the middle of the page): the screen's thresholds pel for pel; the
    // diffusion's dots spread, as a threshold never makes them.
    if (method === 'halftone') assert.equal(offScreen, 0, `${offScreen} pels of ${area} differ from the screen`);
    else assert.ok(dots > area * 0.05, `${dots} lone dots in ${area} pels: not dithered`);
    // The ink follows the picture's mean grey (the diffusion's lightening curve makes it a little sparser).
    const linear = 1 - greySum / area / 255;
    assert.ok(black / area < linear + 0.03 && black / area > linear - 0.25, `ink ${(black / area).toFixed(3)} for grey ${linear.toFixed(3)}`);
    const inPicture = thresholdViolations(ours, gray, box.y0, box.y1);
    assert.ok(inPicture.blackOnLight + inPicture.whiteOnDark > area * 0.05, `the picture came out as a threshold: ${JSON.stringify(inPicture)}`);
    // The caption above the picture (14 pt bold at the top, rows 100–140) is thresholded.
    assert.deepEqual(thresholdViolations(ours, gray, 80, 150), { blackOnLight: 0, whiteOnDark: 0 });
  });
}
