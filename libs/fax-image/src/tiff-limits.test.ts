import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBitmap } from './bitmap.ts';
import { readTiff } from './tiff-read.ts';
import { writeTiff } from './tiff-fax.ts';
import { tiffCli } from './cli.ts';
import { TAG } from './tiff-tags.ts';

/** A real one-page Class F file whose ImageWidth/ImageLength entries are rewritten to lie. */
function lyingTiff(width: number, height: number): Uint8Array {
  const data = writeTiff([{ bitmap: createBitmap(1728, 8), xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = data[0] === 0x49;
  const ifd = dv.getUint32(4, le);
  const n = dv.getUint16(ifd, le);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    const tag = dv.getUint16(e, le);
    if (tag !== TAG.ImageWidth && tag !== TAG.ImageLength) continue;
    dv.setUint16(e + 2, 4, le); // LONG
    dv.setUint32(e + 4, 1, le);
    dv.setUint32(e + 8, tag === TAG.ImageWidth ? width : height, le);
  }
  return data;
}

test('declared page sizes beyond a fax page are refused before anything is allocated', () => {
  assert.equal(readTiff(lyingTiff(1728, 8))[0].height, 8, 'the untouched file reads');
  for (const [w, h] of [[1728, 5_000_000], [0xffffffff, 0xffffffff], [100_000, 100], [16_384, 65_536], [0, 10]]) {
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => readTiff(lyingTiff(w, h))[0].decode(), /more than a fax page can be/, `${w}x${h}`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, `${w}x${h} allocated nothing large`);
  }
  // A long page within the limits still reads (T.30 allows unlimited length).
  assert.equal(readTiff(lyingTiff(1728, 60_000))[0].height, 60_000);
});

test('faxgate tiff info refuses such a file with one clear line and exit code 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-tiff-limits-'));
  try {
    const file = join(dir, 'bomb.tif');
    await writeFile(file, lyingTiff(1728, 5_000_000));
    let err = '';
    const code = await tiffCli(['info', file], { out: () => {}, err: (t) => (err += t) });
    assert.equal(code, 1);
    assert.match(err, /^faxgate tiff: TIFF page 0 declares 1728x5000000 pixels, more than a fax page can be/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
