// The tolerant decoder on damaged and unusual data, as real senders and lines produce it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createBitmap, firstDifference, type Bitmap } from './bitmap.ts';
import { BitWriter } from './bit-writer.ts';
import { decodeFax } from './t4-decode.ts';
import { encodeFax } from './t4-encode.ts';
import { textPage } from '@faxgate/testkit';

function rowBytes(b: Bitmap, y: number): Uint8Array {
  return b.data.subarray(y * b.stride, (y + 1) * b.stride);
}

/** Bit offsets just after each EOL (and tag bit for MR) in MSB-first data. */
function rowStarts(data: Uint8Array, tag: boolean): number[] {
  const bits = [...data].map((b) => b.toString(2).padStart(8, '0')).join('');
  return [...bits.matchAll(/0{11,}1/g)].map((m) => m.index + m[0].length + (tag ? 1 : 0));
}

function flipBits(data: Uint8Array, from: number, count: number): Uint8Array {
  const out = data.slice();
  for (let i = from; i < from + count; i++) out[i >> 3] ^= 0x80 >> (i & 7);
  return out;
}

// Rows 176..204 hold the first line of text.
const page = textPage(1728, 600, 5);

describe('tolerant T.4 decoding', () => {
  it('MH: a damaged row is counted, replaced by the previous row, and the next EOL resynchronises', () => {
    const data = encodeFax(page, { compression: 'mh' });
    const starts = rowStarts(data, false);
    // Row 200 is text, so damage in its middle breaks its codes (damage in a white row would hit the next EOL).
    const y = 200;
    const damaged = flipBits(data, starts[y] + 5, 3);
    const r = decodeFax(damaged, { compression: 'mh', width: 1728 });
    assert.equal(r.bitmap.height, page.height);
    assert.equal(r.badRows, 1);
    assert.equal(r.consecutiveBadRows, 1);
    assert.equal(r.endOfPage, true);
    for (let row = 0; row < page.height; row++) {
      const expected = row === y ? rowBytes(page, y - 1) : rowBytes(page, row);
      assert.deepEqual(rowBytes(r.bitmap, row), expected, `row ${row}`);
    }
  });

  it('MR: 2-D rows after a damaged row are replaced until the next 1-D row', () => {
    const data = encodeFax(page, { compression: 'mr', k: 4 });
    const starts = rowStarts(data, true);
    const y = 201; // a 2-D row; rows 202, 203 are 2-D too, row 204 is 1-D
    const damaged = flipBits(data, starts[y] + 2, 4);
    const r = decodeFax(damaged, { compression: 'mr', width: 1728 });
    assert.equal(r.bitmap.height, page.height);
    assert.equal(r.badRows, 3);
    assert.equal(r.consecutiveBadRows, 3);
    for (let row = 0; row < page.height; row++) {
      const expected = row >= y && row < 204 ? rowBytes(page, y - 1) : rowBytes(page, row);
      assert.deepEqual(rowBytes(r.bitmap, row), expected, `row ${row}`);
    }
  });

  it('a stretch of line noise over many rows: one bad row per surviving EOL, the vanished rows estimated as lost', () => {
    // A long text page, MH, with a burst of seeded random bits over rows 300..379 (EOLs included):
    // the decoder resynchronises only where the noise happens to form an EOL.
    const long = textPage(1728, 1200, 9);
    const data = encodeFax(long, { compression: 'mh' });
    const starts = rowStarts(data, false);
    const damaged = data.slice();
    let seed = 0x5eed;
    const from = starts[300] >> 3;
    const to = starts[380] >> 3;
    for (let i = from; i < to; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      damaged[i] = seed >>> 24;
    }
    const clean = decodeFax(data, { compression: 'mh', width: 1728 });
    assert.equal(clean.lostRows, 0);
    const r = decodeFax(damaged, { compression: 'mh', width: 1728 });
    assert.ok(r.badRows >= 1 && r.badRows < 40, `bad rows ${r.badRows}`);
    // The 80 rows hit are either decoded bad or lost; the estimate uses the page's mean row
    // length, so it is near, not exact (text rows are longer than blank ones).
    const hit = r.badRows + r.lostRows;
    assert.ok(hit >= 40 && hit <= 160, `bad ${r.badRows} + lost ${r.lostRows} for 80 rows hit (${r.rows} decoded)`);
    assert.ok(long.height - r.rows >= 40, `rows vanished: ${r.rows} of ${long.height} decoded`);
  });

  it('a row cut short by an early EOL is bad', () => {
    const w = new BitWriter();
    w.put(1, 12);
    w.put(0b11011, 5); // white 64 make-up, then no terminating code
    w.put(1, 12);
    w.put(0b010011011, 9); // white 1728
    w.put(0b00110101, 8); // white 0
    const r = decodeFax(w.finish(), { compression: 'mh', width: 1728 });
    assert.equal(r.badRows, 1);
    assert.equal(r.bitmap.height, 2);
  });

  it('zero-length runs in the middle of a row cancel out, however many follow each other', () => {
    const w = new BitWriter();
    w.put(1, 12);
    // T.4 Tables 1-2: W3, B2, W5, B0, W0, B5, then white 1664 + 49 to the end of a 1728 row.
    for (const code of ['1000', '11', '1100', '0000110111', '00110101', '0011', '011000', '01010010']) w.put(parseInt(code, 2), code.length);
    const r = decodeFax(w.finish(), { compression: 'mh', width: 1728 });
    assert.equal(r.badRows, 0);
    assert.equal(r.bitmap.height, 1);
    const black = [];
    for (let x = 0; x < 1728; x++) if (r.bitmap.data[x >> 3] & (0x80 >> (x & 7))) black.push(x);
    assert.deepEqual(black, [3, 4, 10, 11, 12, 13, 14]);
  });

  it('missing RTC, extra fill and extra EOLs are accepted without bad rows', () => {
    const w = new BitWriter();
    w.zeros(40);
    w.put(1, 12);
    w.zeros(100);
    w.put(1, 12);
    const body = encodeFax(page, { compression: 'mh', rtc: false, minRowBits: 3000 });
    const head = w.finish();
    const data = new Uint8Array(head.length + body.length + 20);
    data.set(head);
    data.set(body, head.length);
    const r = decodeFax(data, { compression: 'mh', width: 1728 });
    assert.equal(r.badRows, 0);
    assert.equal(r.endOfPage, false);
    assert.equal(firstDifference(r.bitmap, page), null);
  });

  it('truncated data: with a known height the missing rows are white and bad', () => {
    const data = encodeFax(page, { compression: 'mmr' });
    const r = decodeFax(data.subarray(0, data.length >> 1), { compression: 'mmr', width: 1728, height: page.height });
    assert.equal(r.bitmap.height, page.height);
    assert.ok(r.badRows > 10 && r.badRows < page.height, `bad rows ${r.badRows}`);
    const good = page.height - r.badRows;
    for (let row = 0; row < good - 1; row++) assert.deepEqual(rowBytes(r.bitmap, row), rowBytes(page, row), `row ${row}`);
    assert.ok(rowBytes(r.bitmap, page.height - 1).every((b) => b === 0));
  });

  it('garbage that never forms a row yields no rows, not an exception', () => {
    const junk = new Uint8Array(500).map((_, i) => (i * 37 + 11) & 0xff);
    for (const compression of ['mh', 'mr', 'mmr'] as const) {
      const r = decodeFax(junk, { compression, width: 1728 });
      assert.ok(r.bitmap.height <= 500);
    }
    assert.equal(decodeFax(new Uint8Array(0), { compression: 'mh', width: 1728 }).bitmap.height, 0);
    assert.equal(decodeFax(createBitmap(0, 0).data, { compression: 'mmr', width: 8, height: 3 }).badRows, 3);
  });

  it('arbitrary bytes never throw or hang, and rows stay bounded by the data (property)', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 3000 }), fc.constantFrom('mh', 'mr', 'mmr'), fc.integer({ min: 1, max: 2500 }),
      fc.option(fc.integer({ min: 0, max: 50 })), fc.boolean(),
      (data, compression, width, height, lsb) => {
        const r = decodeFax(data, { compression, width, height: height ?? undefined, bitOrder: lsb ? 'lsb-first' : 'msb-first' });
        assert.equal(r.bitmap.height, r.rows);
        if (height !== null) assert.equal(r.rows, height);
        else assert.ok(r.rows <= data.length * 8, `${r.rows} rows from ${data.length} bytes`);
        assert.ok(r.badRows <= r.rows && r.consecutiveBadRows <= r.badRows);
      },
    ), { numRuns: 2000, seed: 99 });
  });

  it('damaged real pages never throw (property)', () => {
    const pages = (['mh', 'mr', 'mmr'] as const).map((c) => [c, encodeFax(page, { compression: c, k: 4 })] as const);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 20 }), (which, hits) => {
      const [compression, clean] = pages[which];
      const data = clean.slice();
      for (const [at, x] of hits) data[at % data.length] ^= x;
      const r = decodeFax(data, { compression, width: 1728, height: page.height });
      assert.equal(r.bitmap.height, page.height);
    }), { numRuns: 300, seed: 5 });
  });
  it('line data (leadingEol): a modem\'s idle ones before the first EOL are skipped, not decoded as rows', () => {
    // What a receiving modem demodulated while the sending DTE paused after CONNECT
    // (Class1TMConnectDelay): mark (all ones), which MH reads as white runs of 7 (code 1111).
    const small = textPage(1728, 80, 6);
    for (const compression of ['mh', 'mr'] as const) {
      const data = encodeFax(small, { compression, k: 4, rtc: true });
      const line = new Uint8Array(1080 + data.length);
      line.fill(0xff, 0, 1080);
      line.set(data, 1080);
      const r = decodeFax(line, { compression, width: 1728, leadingEol: true });
      assert.equal(r.bitmap.height, small.height, compression);
      assert.equal(r.badRows, 0, compression);
      assert.equal(firstDifference(r.bitmap, small), null, compression);
      // Stored data may lack EOLs, so without the option the ones are rows.
      assert.ok(decodeFax(line, { compression, width: 1728 }).bitmap.height > small.height, compression);
    }
  });
});
