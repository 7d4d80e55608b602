// Conversions and the CLI, judged by libtiff (tiffinfo -D, tiffcp -c none) and Ghostscript.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import {
  changeVerticalResolution, changeWidth, convertTiff, createBitmap, decodeFax, encodeFax, firstDifference, getPixel,
  readTiff, setPixel, tiffCli, transcodeFax, writeTiff, writeTiffRaw, type Bitmap, type FaxEncodeOptions,
} from '../src/index.ts';
import { ditheredPhoto, textPage } from '@faxgate/testkit';
import { gs, libtiffRasters, readPbm, Scratch, tiffinfoStrict } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());

const same = (a: Bitmap, b: Bitmap, what: string) => assert.equal(firstDifference(a, b), null, what);

describe('resolution', () => {
  const fine = textPage(1728, 400, 21);
  it('fine → superfine → fine and standard → fine → standard are lossless', () => {
    const superfine = changeVerticalResolution(fine, 196, 391);
    assert.equal(superfine.height, 800);
    same(changeVerticalResolution(superfine, 391, 196), fine, 'superfine round trip');
    const standard = changeVerticalResolution(fine, 196, 98);
    assert.equal(standard.height, 200);
    same(changeVerticalResolution(changeVerticalResolution(standard, 98, 196), 196, 98), standard, 'standard round trip');
  });
  it('a 300 dpi scan goes to fine by its own ratio, keeping one-row strokes', () => {
    const scan = createBitmap(64, 300);
    for (let x = 0; x < 64; x++) setPixel(scan, x, 150, 1);
    const f = changeVerticalResolution(scan, 300, 196);
    assert.equal(f.height, 196);
    let rows = 0;
    for (let y = 0; y < f.height; y++) if (getPixel(f, 10, y)) rows++;
    assert.equal(rows, 1);
    assert.equal(getPixel(f, 10, Math.floor(150 * 196 / 300)), 1);
  });
  it('fine → standard keeps one-row strokes', () => {
    const b = createBitmap(100, 10);
    for (let x = 0; x < 100; x++) setPixel(b, x, 3, 1);
    const s = changeVerticalResolution(b, 196, 98);
    assert.equal(s.height, 5);
    for (let x = 0; x < 100; x++) assert.equal(getPixel(s, x, 1), 1);
  });
});

describe('width', () => {
  const a4 = textPage(1728, 300, 22);
  it('centring A4 on B4 and back is lossless and offsets by 160', () => {
    const b4 = changeWidth(a4, 2048, 'centre');
    assert.equal(b4.width, 2048);
    for (let y = 0; y < a4.height; y += 7) for (let x = 0; x < 1728; x += 5) assert.equal(getPixel(b4, x + 160, y), getPixel(a4, x, y));
    same(changeWidth(b4, 1728, 'centre'), a4, 'centre round trip');
  });
  it('scaling A3 to A4 keeps one-pixel lines and the aspect ratio', () => {
    const a3 = createBitmap(2432, 600);
    for (let y = 0; y < 600; y++) setPixel(a3, 1001, y, 1);
    for (let x = 0; x < 2432; x++) setPixel(a3, x, 301, 1);
    const a4s = changeWidth(a3, 1728, 'scale');
    assert.equal(a4s.width, 1728);
    assert.equal(a4s.height, Math.round(600 * 1728 / 2432));
    const col = Math.floor(1001 * 1728 / 2432);
    for (let y = 0; y < a4s.height; y++) assert.equal(getPixel(a4s, col, y), 1, `vertical line at row ${y}`);
    const row = Math.floor(301 * 1728 / 2432);
    for (let x = 0; x < 1728; x++) assert.equal(getPixel(a4s, x, row), 1, `horizontal line at column ${x}`);
    let black = 0;
    for (const v of a4s.data) black += v ? 1 : 0;
    assert.ok(black < 1728 / 8 + a4s.height + 10, 'nothing else turned black');
  });
  it('scaling up B4 → A3 doubles nothing and loses nothing of a text page', () => {
    const b4 = textPage(2048, 300, 23);
    const a3 = changeWidth(b4, 2432, 'scale');
    const back = changeWidth(a3, 2048, 'scale');
    let diff = 0;
    for (let i = 0; i < b4.data.length && i < back.data.length; i++) diff += b4.data[i] !== back.data[i] ? 1 : 0;
    assert.ok(diff < b4.data.length * 0.02, `${diff} bytes differ after up and down`);
  });
});

describe('transcoding without a bitmap', () => {
  const page = ditheredPhoto(1728, 150);
  const forms: FaxEncodeOptions[] = [
    { compression: 'mh' }, { compression: 'mr', k: 4, bitOrder: 'lsb-first' }, { compression: 'mmr' },
  ];
  for (const from of forms) {
    for (const to of forms) {
      it(`${from.compression} → ${to.compression}`, () => {
        const { data, stats } = transcodeFax(encodeFax(page, from), { compression: from.compression, width: 1728, bitOrder: from.bitOrder }, to);
        assert.equal(stats.badRows, 0);
        assert.deepEqual(data, encodeFax(page, to), 'same bytes as coding the bitmap directly');
        same(decodeFax(data, { compression: to.compression, width: 1728, bitOrder: to.bitOrder }).bitmap, page, 'raster');
      });
    }
  }
});

describe('convertTiff and the tiff CLI', () => {
  const pages = [textPage(1728, 500, 31), ditheredPhoto(1731, 100), textPage(2432, 400, 32)];
  const source = scratch.write('in.tif', writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' }));

  it('convert --compression mh|mr|mmr: libtiff reads exactly the same pages', async () => {
    for (const compression of ['mh', 'mr', 'mmr']) {
      const out = scratch.path(`conv-${compression}.tif`);
      assert.equal(await tiffCli(['convert', source, '-o', out, '--compression', compression], { out: () => {}, err: () => {} }), 0);
      assert.match(tiffinfoStrict(out), compression === 'mmr' ? /Group 4/ : compression === 'mr' ? /2-d encoding/ : /Group 3/);
      libtiffRasters(scratch, out).forEach((b, i) => same(b, pages[i], `${compression} page ${i}`));
    }
  });

  it('convert --resolution standard --width a4: libtiff sees 98 dpi A4 pages', async () => {
    const out = scratch.path('conv-std.tif');
    assert.equal(await tiffCli(['convert', source, '-o', out, '--resolution', 'standard', '--width', 'a4', '--compression', 'mr'], { out: () => {}, err: () => {} }), 0);
    const info = tiffinfoStrict(out);
    assert.equal(info.match(/Resolution: 204, 98 pixels\/inch/g)?.length, 3);
    const theirs = libtiffRasters(scratch, out);
    same(theirs[0], changeVerticalResolution(pages[0], 196, 98), 'page 1 halved');
    // A3 at fine → A4 at standard: both axes × 1728/2432, and rows halved, in one resampling.
    assert.equal(theirs[2].height, Math.round(400 * (1728 / 2432) / 2));
    same(theirs[2], changeWidth(pages[2], 1728, 'scale', theirs[2].height), 'A3 page scaled to A4 standard');
    assert.equal(theirs[1].width, 1728);
    assert.equal(theirs[1].height, 50);
  });

  it('convert --width a4 fits a 300 dpi scan to the fax line at its physical size', async () => {
    const scan = textPage(2480, 600, 33); // 210 mm × 50.8 mm at 300 × 300 dpi
    const input = scratch.write('scan.tif', writeTiffRaw([{
      width: 2480, height: 600, xDpi: 300, yDpi: 300, compression: 1, fillOrder: 1, rowsPerStrip: 600, strips: [scan.data],
    }]));
    const out = scratch.path('scan-fax.tif');
    assert.equal(await tiffCli(['convert', input, '-o', out, '--width', 'a4', '--resolution', 'fine'], { out: () => {}, err: () => {} }), 0);
    assert.match(tiffinfoStrict(out), /Resolution: 204, 196 pixels\/inch/);
    const [page] = libtiffRasters(scratch, out);
    assert.equal(page.width, 1728);
    // 1728 pels at 204 dpi is 8.47 in = 1.0245 × the scan's 8.27 in; 2 in of height at 196 lpi, × 1.0245.
    assert.equal(page.height, Math.round((600 / 300) * ((1728 / 204) / (2480 / 300)) * 196));
  });

  it('info prints one line per page; topdf renders in Ghostscript like the TIFF', async () => {
    let text = '';
    assert.equal(await tiffCli(['info', source], { out: (t) => { text += t; }, err: () => {} }), 0);
    assert.match(text, /3 pages/);
    assert.match(text, /page 3: 2432x400, 204x196 dpi, mmr, FillOrder 1, 1 strip, damaged rows 0/);
    const pdf = scratch.path('out.pdf');
    assert.equal(await tiffCli(['topdf', source, '-o', pdf], { out: () => {}, err: () => {} }), 0);
    const pbm = scratch.path('p3.pbm');
    gs('pbmraw', pdf, pbm, ['-r204x196', '-dFirstPage=3', '-dLastPage=3']);
    same(readPbm(readFileSync(pbm)), readTiff(readFileSync(source))[2].decode(), 'page 3 from the PDF');
  });

  it('bad usage and unreadable files give exit codes 2 and 1', async () => {
    let err = '';
    const io = { out: () => {}, err: (t: string) => { err += t; } };
    assert.equal(await tiffCli(['convert', source, '--compression', 'g5', '-o', scratch.path('x.tif')], io), 2);
    assert.match(err, /--compression must be one of mh, mr, mmr/);
    assert.equal(await tiffCli(['frobnicate', source], io), 2);
    assert.equal(await tiffCli(['topdf', source], io), 2);
    assert.equal(await tiffCli(['info', scratch.path('missing.tif')], io), 1);
    assert.equal(await tiffCli(['info', scratch.write('junk.tif', new Uint8Array(100))], io), 1);
  });
});
