// libtiff (tiffinfo, tiffcp) and Ghostscript judge our TIFF writer and reader.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createBitmap, firstDifference, readTiff, rowChanges, writeTiff, writeTiffRaw, type Bitmap, type FaxCompression } from '../src/index.ts';
import { adversarialRasters, ditheredPhoto, noise, textPage } from '@faxgate/testkit';
import { gs, libtiffRasters, Scratch, tiffcp, tiffinfoStrict } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());

function assertSame(actual: Bitmap, expected: Bitmap, what: string): void {
  const d = firstDifference(actual, expected);
  assert.equal(d, null, `${what}: first difference at ${JSON.stringify(d)} (${actual.width}x${actual.height} vs ${expected.width}x${expected.height})`);
}

function uncompressedTiff(pages: Bitmap[], yDpi = 196): Uint8Array {
  return writeTiffRaw(pages.map((b) => ({
    width: b.width, height: b.height, xDpi: 204, yDpi, compression: 1, fillOrder: 1 as const,
    rowsPerStrip: b.height, strips: [b.data],
  })));
}

const corpus: [string, Bitmap][] = [
  ['text A4', textPage(1728, 600, 1)],
  ['text B4', textPage(2048, 300, 2)],
  ['text A3', textPage(2432, 300, 3)],
  ['photo odd width', ditheredPhoto(1731, 200)],
  ['noise width 13', noise(13, 40, 4)],
  ['sparse noise 5000 wide', noise(5000, 20, 5, 0.01)],
  ...Object.entries(adversarialRasters(1729)).map(([k, v]): [string, Bitmap] => [`${k} 1729`, v]),
  ...Object.entries(adversarialRasters(2560 * 2 + 3, 6)).map(([k, v]): [string, Bitmap] => [`${k} 5123`, v]),
  ...Object.entries(adversarialRasters(1, 4)).map(([k, v]): [string, Bitmap] => [`${k} 1`, v]),
];

describe('our Class F files, judged by libtiff', () => {
  for (const compression of ['mh', 'mr', 'mmr'] as FaxCompression[]) {
    it(`${compression}: tiffinfo -D is silent and tiffcp -c none gives our raster`, () => {
      const pages = corpus.map(([, bitmap], i) => ({ bitmap, xDpi: 204, yDpi: i % 2 ? 98 : 196 }));
      const file = scratch.write(`ours-${compression}.tif`, writeTiff(pages, { compression }));
      const info = tiffinfoStrict(file);
      assert.equal(info.match(/TIFF Directory at/g)?.length, corpus.length);
      assert.match(info, compression === 'mmr' ? /CCITT Group 4/ : /CCITT Group 3/);
      assert.match(info, /min-is-white/);
      const theirs = libtiffRasters(scratch, file);
      assert.equal(theirs.length, corpus.length);
      corpus.forEach(([name, bitmap], i) => assertSame(theirs[i], bitmap, `${compression} ${name}`));
      // And our own reader agrees on what we wrote.
      const ours = readTiff(readFileSync(file));
      ours.forEach((p, i) => {
        assert.equal(p.compression, compression);
        assert.equal(p.yDpi, i % 2 ? 98 : 196);
        assertSame(p.decode(), corpus[i][1], `reread ${corpus[i][0]}`);
      });
    });
  }
});

describe('Class F fax-quality tags', () => {
  it('BadFaxLines, ConsecutiveBadFaxLines and CleanFaxData reach libtiff and come back', () => {
    const bitmap = textPage(1728, 300, 6);
    const file = scratch.write('bad-lines.tif', writeTiff([
      { bitmap, xDpi: 204, yDpi: 196, badFaxLines: 17, consecutiveBadFaxLines: 5 },
      { bitmap, xDpi: 204, yDpi: 98 },
    ], { compression: 'mr' }));
    const info = tiffinfoStrict(file);
    assert.match(info, /Bad Fax Lines: 17/);
    assert.match(info, /Consecutive Bad Fax Lines: 5/);
    assert.match(info, /Fax Data: receiver regenerated \(1 = 0x1\)/);
    assert.match(info, /Fax Data: clean \(0 = 0x0\)/);
    const pages = readTiff(readFileSync(file));
    assert.equal(pages[0].badFaxLines, 17);
    assert.equal(pages[1].badFaxLines, undefined);
  });
});

describe('BlackIsZero pages', () => {
  it('are inverted into our 1 = black bitmaps, uncompressed and after tiffcp -c g4', () => {
    const page = textPage(1728, 200, 8);
    const samples = page.data.map((v) => v ^ 0xff);
    const raw = writeTiffRaw([{ width: 1728, height: 200, xDpi: 204, yDpi: 196, compression: 1, fillOrder: 1, rowsPerStrip: 200, strips: [samples] }]);
    // Our writer always says WhiteIsZero; patch the Photometric entry's value to BlackIsZero (1).
    const dv = new DataView(raw.buffer);
    const ifd = dv.getUint32(4, true);
    for (let i = 0; i < dv.getUint16(ifd, true); i++) {
      const e = ifd + 2 + i * 12;
      if (dv.getUint16(e, true) === 262) dv.setUint16(e + 8, 1, true);
    }
    const file = scratch.write('min-is-black.tif', raw);
    assert.match(tiffinfoStrict(file), /min-is-black/);
    assertSame(readTiff(raw)[0].decode(), page, 'uncompressed');
    const g4 = scratch.path('min-is-black-g4.tif');
    tiffcp(['-c', 'g4', file, g4]);
    assert.match(tiffinfoStrict(g4), /min-is-black/);
    assertSame(readTiff(readFileSync(g4))[0].decode(), page, 'G4');
  });
});

describe('files written by libtiff decode to libtiff\'s raster', () => {
  const pages = corpus.map(([, b]) => b);
  const source = scratch.write('source.tif', uncompressedTiff(pages));
  const variants: [string, string[]][] = [
    ['g3', ['-c', 'g3']],
    ['g3 fill', ['-c', 'g3:fill']],
    ['g3:2d', ['-c', 'g3:2d']],
    ['g3:2d fill', ['-c', 'g3:2d:fill']],
    ['g4', ['-c', 'g4']],
    ['g4 FillOrder 2', ['-c', 'g4', '-f', 'lsb2msb']],
    ['g3:2d FillOrder 2, 7 rows per strip', ['-c', 'g3:2d', '-f', 'lsb2msb', '-r', '7']],
    ['g4, 16 rows per strip', ['-c', 'g4', '-r', '16']],
    ['g3:2d big-endian (MM)', ['-c', 'g3:2d', '-B']],
    ['g3 big-endian FillOrder 2', ['-c', 'g3', '-B', '-f', 'lsb2msb']],
    ['packbits, 5 rows per strip', ['-c', 'packbits', '-r', '5']],
    ['lzw, 9 rows per strip', ['-c', 'lzw', '-r', '9']],
    ['lzw one strip per page', ['-c', 'lzw']],
    ['deflate', ['-c', 'zip']],
    ['uncompressed FillOrder 2, 3 rows per strip', ['-c', 'none', '-f', 'lsb2msb', '-r', '3']],
  ];
  for (const [name, args] of variants) {
    it(name, () => {
      const file = scratch.path(`libtiff-${name.replace(/\W+/g, '-')}.tif`);
      tiffcp([...args, source, file]);
      const theirs = libtiffRasters(scratch, file);
      const ours = readTiff(readFileSync(file));
      assert.equal(ours.length, pages.length);
      ours.forEach((p, i) => {
        assertSame(p.decode(), theirs[i], `${name} page ${i} (${corpus[i][0]})`);
        assertSame(theirs[i], pages[i], `libtiff round trip of ${corpus[i][0]}`);
      });
    });
  }
});

describe('files written by Ghostscript decode to libtiff\'s raster', () => {
  // A two-page letter with text in several sizes, rules, a filled box and a grey ramp (halftoned by gs).
  const ps = `%!PS
/Times-Roman findfont 11 scalefont setfont
1 1 2 { /p exch def
  72 770 moveto (Ghostscript fax reference page ) show p 3 string cvs show
  72 760 moveto 450 0 rlineto 0.5 setlinewidth stroke
  0 1 40 { /i exch def 72 740 i 14 mul sub moveto
    (The quick brown fox jumps over the lazy dog 0123456789 ,.;:!? ) show i 3 string cvs show } for
  /Helvetica-Bold findfont 30 scalefont setfont 72 120 moveto (FAXGATE) show
  0 1 19 { /i exch def i 20 div setgray 300 i 12 mul add 80 12 60 rectfill } for
  0 setgray 80 40 20 20 rectfill 560 30 moveto 10 800 lineto stroke
  /Times-Roman findfont 11 scalefont setfont
  showpage } for
`;
  const psFile = scratch.write('letter.ps', new TextEncoder().encode(ps));
  for (const device of ['tiffg3', 'tiffg32d', 'tiffg4', 'tiffcrle', 'tiffpack']) {
    it(device, () => {
      const file = scratch.path(`gs-${device}.tif`);
      gs(device, psFile, file, ['-r204x196', '-sPAPERSIZE=a4']);
      tiffinfoStrict(file);
      const theirs = libtiffRasters(scratch, file);
      const ours = readTiff(readFileSync(file));
      assert.equal(ours.length, 2);
      ours.forEach((p, i) => {
        // The fax devices force the T.4 width; the others keep A4's 210 mm.
        assert.equal(p.width, device === 'tiffpack' ? 1686 : 1728);
        assert.ok(p.height > 2000, `A4 at 196 dpi is about 2290 rows, got ${p.height}`);
        const b = p.decode();
        let black = 0;
        for (const v of b.data) black += v ? 1 : 0;
        assert.ok(black > 1000, 'page has content');
        assertSame(b, theirs[i], `${device} page ${i}`);
      });
    });
  }
});

describe('random rasters through every codec, judged by libtiff (property)', () => {
  // Rows as run lengths so long runs (> 2560), zero-length starts and single pixels are common.
  const raster = fc.record({
    width: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1700, max: 5200 })),
    rows: fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 30 }), { minLength: 1, maxLength: 8 }),
  }).map(({ width, rows }) => {
    const b = createBitmap(width, rows.length);
    rows.forEach((runs, y) => {
      let x = 0;
      runs.forEach((run, i) => {
        const end = Math.min(width, x + run);
        if (i & 1) for (let p = x; p < end; p++) b.data[y * b.stride + (p >> 3)] |= 0x80 >> (p & 7);
        x = end;
      });
    });
    return b;
  });
  /** libtiff's 1-D decoder holds at most the width rounded up to 32 runs per row (see slice.test.ts). */
  function libtiffCanDecodeMh(b: Bitmap): boolean {
    const out = new Int32Array(b.width + 8);
    for (let y = 0; y < b.height; y++) if (rowChanges(b.data, y * b.stride, b.width, out) + 1 > Math.ceil(b.width / 32) * 32) return false;
    return true;
  }
  it('writeTiff → tiffcp -c none gives the same raster', () => {
    let n = 0;
    fc.assert(fc.property(fc.array(raster, { minLength: 1, maxLength: 3 }), fc.constantFrom<FaxCompression>('mh', 'mr', 'mmr'), (bitmaps, compression) => {
      if (compression === 'mh') fc.pre(bitmaps.every(libtiffCanDecodeMh));
      const file = scratch.write(`prop-${n++}.tif`, writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 98 })), { compression }));
      tiffinfoStrict(file);
      const theirs = libtiffRasters(scratch, file);
      assert.equal(theirs.length, bitmaps.length);
      theirs.forEach((b, i) => assertSame(b, bitmaps[i], `${compression} page ${i}`));
    }), { numRuns: 60, seed: 3 });
  });
});
