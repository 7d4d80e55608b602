// HylaFAX's tiffcheck decides whether a TIFF can be sent as it is or must be reformatted first:
// our Class F output must pass untouched at the capabilities it was written for.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { writeTiff, type FaxCompression } from '../src/index.ts';
import { textPage } from '@faxgate/testkit';
import { Scratch, tiffcp } from './judges.ts';

const TIFFCHECK = '/usr/lib/hylafax/bin/tiffcheck';
const scratch = new Scratch();
after(() => scratch.dispose());

/** tiffcheck's verdict line (OK, REFORMAT, REVRES, RESIZE, ...) for an A4 receiver. */
function tiffcheck(file: string, yDpi: number, flag: string): string {
  const r = spawnSync(TIFFCHECK, ['-r', String(yDpi), '-w', '1728', '-l', '297', flag, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n')[0];
}

describe('HylaFAX tiffcheck accepts our Class F files as sendable', () => {
  const flags: Record<FaxCompression, string> = { mh: '-1', mr: '-2', mmr: '-3' };
  for (const compression of ['mh', 'mr', 'mmr'] as FaxCompression[]) {
    for (const yDpi of [98, 196]) {
      it(`${compression} at ${yDpi} dpi`, () => {
        const rows = yDpi === 196 ? 2200 : 1100;
        const file = scratch.write(`${compression}-${yDpi}.tif`, writeTiff([1, 2].map((seed) => ({ bitmap: textPage(1728, rows, seed), xDpi: 204, yDpi })), { compression }));
        assert.equal(tiffcheck(file, yDpi, flags[compression]), 'OK');
      });
    }
  }
  it('and still asks to reformat what a fax line cannot carry (the check can fail)', () => {
    const file = scratch.write('fine.tif', writeTiff([{ bitmap: textPage(1728, 2200, 3), xDpi: 204, yDpi: 196 }], { compression: 'mmr' }));
    assert.match(tiffcheck(file, 98, '-3'), /REVRES/);
    const lzw = scratch.path('lzw.tif');
    tiffcp(['-c', 'lzw', file, lzw]);
    assert.match(tiffcheck(lzw, 196, '-3'), /REFORMAT/);
  });
});
