// spandsp's T.4 receiver (the one HylaFAX-era stacks and our fax peers use) judges our line forms:
// EOLs, fill for minimum scan-line time, byte-aligned EOLs, RTC, EOFB, LSB-first bit order.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { decodeFax, encodeFax, firstDifference, reverseBits, type Bitmap, type FaxEncodeOptions } from '../src/index.ts';
import { ditheredPhoto, prng, textPage } from '@faxgate/testkit';
import { libtiffRasters, Scratch } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());
const helper = scratch.path('t4rx');
before(() => {
  const source = join(dirname(fileURLToPath(import.meta.url)), 'spandsp-t4rx.c');
  execFileSync('gcc', ['-O1', '-o', helper, source, '-lspandsp', '-ltiff'], { stdio: ['ignore', 'pipe', 'pipe'] });
});

const ENCODING = { mh: 1, mr: 2, mmr: 3 } as const;

/** What spandsp received: its statistics, and the page it wrote as read back by libtiff. */
function spandspReceive(data: Uint8Array, opts: FaxEncodeOptions, width: number): { rows: number; bad: number; longest: number; page: Bitmap } {
  const input = scratch.write('line.bin', data);
  const tif = scratch.path('rx.tif');
  const out = execFileSync(helper, [String(ENCODING[opts.compression]), String(width), input, tif], { encoding: 'utf8' });
  const m = /rows=(\d+) bad=(\d+) longest=(\d+)/.exec(out);
  assert.ok(m, out);
  return { rows: Number(m[1]), bad: Number(m[2]), longest: Number(m[3]), page: libtiffRasters(scratch, tif)[0] };
}

describe('spandsp receives our line forms', () => {
  const pages = [textPage(1728, 700, 41), ditheredPhoto(1728, 160)];
  const forms: FaxEncodeOptions[] = [
    // T.30 minimum scan-line time 10 ms at 14 400 bit/s: 144 bits per row.
    { compression: 'mh', bitOrder: 'lsb-first', minRowBits: 144 },
    { compression: 'mh', bitOrder: 'lsb-first', alignEol: true },
    { compression: 'mr', k: 2, bitOrder: 'lsb-first', minRowBits: 480 },
    { compression: 'mr', k: 4, bitOrder: 'lsb-first', alignEol: true },
    { compression: 'mmr', bitOrder: 'lsb-first' },
  ];
  for (const form of forms) {
    it(JSON.stringify(form), () => {
      for (const page of pages) {
        const got = spandspReceive(encodeFax(page, form), form, page.width);
        assert.equal(got.bad, 0);
        assert.equal(got.rows, page.height);
        assert.equal(firstDifference(got.page, page), null);
      }
    });
  }
});

describe('damaged MH: our tolerant decoder agrees with spandsp', () => {
  const page = textPage(1728, 600, 7);
  for (const seed of [1, 2, 3, 4]) {
    it(`three damaged bytes, seed ${seed}: same rows, same bad-row counts, same pixels`, () => {
      const rnd = prng(seed);
      const data = encodeFax(page, { compression: 'mh' });
      for (let k = 0; k < 3; k++) data[100 + Math.floor(rnd() * data.length * 0.8)] ^= 0x5a;
      const line = reverseBits(data);
      const theirs = spandspReceive(line, { compression: 'mh' }, 1728);
      const ours = decodeFax(line, { compression: 'mh', width: 1728, bitOrder: 'lsb-first' });
      assert.ok(theirs.bad > 0, 'the damage hit coded rows');
      assert.equal(ours.bitmap.height, theirs.rows);
      assert.equal(ours.badRows, theirs.bad);
      assert.equal(ours.consecutiveBadRows, theirs.longest);
      assert.equal(firstDifference(ours.bitmap, theirs.page), null);
    });
  }
});
