import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createBitmap, firstDifference, type Bitmap } from './bitmap.ts';
import { BLACK_MAKEUP, BLACK_TERMINATING, EXTENDED_MAKEUP, WHITE_MAKEUP, WHITE_TERMINATING } from './code-tables.ts';
import { decodeFax } from './t4-decode.ts';
import { encodeFax, type FaxEncodeOptions } from './t4-encode.ts';
import { adversarialRasters, ditheredPhoto, textPage } from '@faxgate/testkit';
import { transcodeFax } from './convert.ts';

const forms: FaxEncodeOptions[] = [
  { compression: 'mh' },
  { compression: 'mh', alignEol: true, rtc: false },
  { compression: 'mh', eol: false, rtc: false },
  { compression: 'mh', eol: false, alignRows: true, rtc: false },
  { compression: 'mh', minRowBits: 400, bitOrder: 'lsb-first' },
  { compression: 'mr', k: 2 },
  { compression: 'mr', k: 4, alignEol: true, minRowBits: 150 },
  { compression: 'mr', k: 1, bitOrder: 'lsb-first' },
  { compression: 'mr', k: 1000, rtc: false },
  { compression: 'mmr' },
  { compression: 'mmr', eofb: false, bitOrder: 'lsb-first' },
];

function roundTrip(b: Bitmap, form: FaxEncodeOptions, withHeight: boolean): void {
  const data = encodeFax(b, form);
  const r = decodeFax(data, {
    compression: form.compression, width: b.width, height: withHeight ? b.height : undefined,
    bitOrder: form.bitOrder, alignedRows: form.alignRows,
  });
  const what = `${JSON.stringify(form)} ${b.width}x${b.height}`;
  assert.equal(r.badRows, 0, `${what}: bad rows`);
  assert.equal(firstDifference(r.bitmap, b), null, `${what}: raster differs`);
  const marker = form.compression === 'mmr' ? form.eofb ?? true : form.rtc ?? true;
  // With a known height decoding stops at the last row, before the marker.
  if (!withHeight) assert.equal(r.endOfPage, marker, `${what}: end marker`);
}

/** Rows given as run lengths, alternating colours from white, so long and zero-length runs are common. */
const rasterArb = fc.record({
  width: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1700, max: 2600 }), fc.integer({ min: 2500, max: 5300 })),
  rows: fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 60, max: 5300 })), { maxLength: 40 }), { minLength: 1, maxLength: 6 }),
  finalBlack: fc.boolean(),
}).map(({ width, rows, finalBlack }) => {
  const b = createBitmap(width, rows.length);
  rows.forEach((runs, y) => {
    let x = 0;
    let colour = 0;
    for (const run of runs) {
      const end = Math.min(width, x + run);
      if (colour) for (let i = x; i < end; i++) b.data[y * b.stride + (i >> 3)] |= 0x80 >> (i & 7);
      x = end;
      colour ^= 1;
    }
    if (finalBlack && colour) for (let i = x; i < width; i++) b.data[y * b.stride + (i >> 3)] |= 0x80 >> (i & 7);
  });
  return b;
});

describe('code tables', () => {
  it('have the sizes of T.4 Tables 1-3 and the expected code-length distribution', () => {
    assert.equal(WHITE_TERMINATING.length, 64);
    assert.equal(BLACK_TERMINATING.length, 64);
    assert.equal(WHITE_MAKEUP.length, 27);
    assert.equal(BLACK_MAKEUP.length, 27);
    assert.equal(EXTENDED_MAKEUP.length, 13);
    // A complete prefix code has Kraft sum 1; the run codes leave room only for EOL's zero prefix.
    for (const [t, m] of [[WHITE_TERMINATING, WHITE_MAKEUP], [BLACK_TERMINATING, BLACK_MAKEUP]]) {
      const kraft = [...t, ...m, ...EXTENDED_MAKEUP].reduce((s, c) => s + 2 ** -c.length, 0);
      assert.ok(kraft <= 1 && kraft > 0.99, `Kraft sum ${kraft}`);
      for (const c of [...t, ...m, ...EXTENDED_MAKEUP]) assert.match(c, /^[01]{2,13}$/);
    }
  });
});

describe('codecs round-trip', () => {
  it('adversarial rasters at fax and awkward widths, every form', () => {
    for (const width of [1, 7, 8, 9, 1728, 1729, 2048, 2432, 2560, 2561, 2623, 2624, 5121, 5200]) {
      for (const b of Object.values(adversarialRasters(width, 7))) {
        for (const form of forms) {
          roundTrip(b, form, true);
          roundTrip(b, form, false);
        }
      }
    }
  });

  it('text and photo pages, every form', () => {
    for (const b of [textPage(1728, 500, 9), ditheredPhoto(2432, 120)]) {
      for (const form of forms) roundTrip(b, form, false);
    }
  });

  it('random run-length rasters (property)', () => {
    fc.assert(fc.property(rasterArb, fc.constantFrom(...forms), (b, form) => {
      roundTrip(b, form, true);
    }), { numRuns: 400, seed: 20261129 });
  });

  it('transcoding between any two forms gives the bytes of direct encoding (property)', () => {
    fc.assert(fc.property(rasterArb, fc.constantFrom(...forms), fc.constantFrom(...forms), (b, from, to) => {
      const { data, stats } = transcodeFax(encodeFax(b, from), {
        compression: from.compression, width: b.width, height: b.height, bitOrder: from.bitOrder, alignedRows: from.alignRows,
      }, to);
      assert.equal(stats.badRows, 0);
      assert.deepEqual(data, encodeFax(b, to));
    }), { numRuns: 300, seed: 11 });
  });

  it('random pixel rasters (property)', () => {
    const arb = fc.record({ width: fc.integer({ min: 1, max: 300 }), height: fc.integer({ min: 1, max: 5 }) })
      .chain(({ width, height }) => fc.uint8Array({ minLength: ((width + 7) >> 3) * height, maxLength: ((width + 7) >> 3) * height })
        .map((data) => ({ width, height, stride: (width + 7) >> 3, data })));
    fc.assert(fc.property(arb, fc.constantFrom(...forms), (b, form) => {
      // Padding bits past the width are garbage here on purpose: encoders must ignore them.
      const data = encodeFax(b, form);
      const r = decodeFax(data, { compression: form.compression, width: b.width, height: b.height, bitOrder: form.bitOrder, alignedRows: form.alignRows });
      assert.equal(firstDifference(r.bitmap, b), null);
    }), { numRuns: 400, seed: 7 });
  });
});

describe('line forms', () => {
  const page = textPage(1728, 40, 3);
  it('MH rows start with EOL and RTC ends the data', () => {
    const data = encodeFax(page, { compression: 'mh' });
    assert.deepEqual([data[0], data[1] & 0xf0], [0x00, 0x10]);
    // Six EOLs = 72 bits; the tail holds them at some bit offset.
    const bits = [...data.slice(-10)].map((b) => b.toString(2).padStart(8, '0')).join('');
    assert.match(bits, /(000000000001){6}0*$/);
  });
  it('MR RTC is six EOL+1', () => {
    const data = encodeFax(page, { compression: 'mr', k: 4 });
    const bits = [...data.slice(-11)].map((b) => b.toString(2).padStart(8, '0')).join('');
    assert.match(bits, /(0000000000011){6}0*$/);
  });
  it('MMR ends with EOFB', () => {
    const data = encodeFax(page, { compression: 'mmr' });
    const bits = [...data.slice(-4)].map((b) => b.toString(2).padStart(8, '0')).join('');
    assert.match(bits, /0000000000010000000000010*$/);
  });
  it('byte-aligned EOLs end on a byte boundary', () => {
    const data = encodeFax(page, { compression: 'mh', alignEol: true, rtc: false });
    const bits = [...data].map((b) => b.toString(2).padStart(8, '0')).join('');
    const eols = [...bits.matchAll(/00000000000*1/g)].map((m) => m.index + m[0].length);
    assert.equal(eols.length, page.height);
    for (const end of eols) assert.equal(end % 8, 0);
  });
  it('fill keeps every row at or above the minimum bits', () => {
    const data = encodeFax(createBitmap(1728, 10), { compression: 'mh', minRowBits: 200, rtc: false });
    const bits = [...data].map((b) => b.toString(2).padStart(8, '0')).join('');
    const ends = [...bits.matchAll(/0{11,}1/g)].map((m) => m.index + m[0].length);
    assert.equal(ends.length, 10);
    // An all-white row is 17 bits of code; fill pads row + fill + EOL to 200 bits.
    for (let i = 1; i < ends.length; i++) assert.equal(ends[i] - ends[i - 1], 200);
  });
  it('lsb-first is msb-first with each byte mirrored', () => {
    const a = encodeFax(page, { compression: 'mr' });
    const b = encodeFax(page, { compression: 'mr', bitOrder: 'lsb-first' });
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      let m = 0;
      for (let k = 0; k < 8; k++) if (a[i] & (1 << k)) m |= 0x80 >> k;
      assert.equal(b[i], m);
    }
  });
});
