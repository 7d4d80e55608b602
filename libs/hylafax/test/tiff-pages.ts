import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One page decoded by libtiff: 1 bit per pixel, rows padded to whole bytes, first pixel in the high bit. */
export interface DecodedPage {
  width: number;
  length: number;
  photometric: number;
  pixels: Buffer;
}

/**
 * Decodes every page of a fax TIFF with libtiff itself (`tiffcp -c none -f msb2lsb`), so the
 * comparison of sent and received pages rests on libtiff's T.4/T.6 decoders, not on ours. Only
 * the uncompressed result is read here: the strips of each IFD (TIFF 6.0 §2, §3).
 */
export async function decodePages(tiffPath: string, workDir: string, label: string): Promise<DecodedPage[]> {
  const out = join(workDir, `${label}-raw.tif`);
  await run('tiffcp', ['-c', 'none', '-f', 'msb2lsb', tiffPath, out]);
  const b = await readFile(out);
  const le = b.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const pages: DecodedPage[] = [];
  for (let ifd = u32(4); ifd !== 0; ) {
    const n = u16(ifd);
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      const tag = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = type === 3 ? 2 : type === 4 ? 4 : 0;
      if (size === 0) continue;
      const at = count * size <= 4 ? e + 8 : u32(e + 8);
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push(size === 2 ? u16(at + k * 2) : u32(at + k * 4));
      tags.set(tag, values);
    }
    const get = (t: number) => tags.get(t) ?? [];
    if ((get(259)[0] ?? 1) !== 1) throw new Error(`${label}: tiffcp left page ${pages.length + 1} compressed`);
    if ((get(266)[0] ?? 1) !== 1) throw new Error(`${label}: tiffcp did not write msb-to-lsb fill order`);
    const offsets = get(273);
    const counts = get(279);
    const pixels = Buffer.concat(offsets.map((o, k) => b.subarray(o, o + counts[k])));
    pages.push({ width: get(256)[0], length: get(257)[0], photometric: get(262)[0] ?? 0, pixels });
    ifd = u32(ifd + 2 + n * 12);
  }
  return pages;
}

/** Number of rows that differ between two pages of the same size. */
export function differingRows(a: DecodedPage, b: DecodedPage): number {
  const rowBytes = Math.ceil(a.width / 8);
  let diff = 0;
  for (let r = 0; r < Math.min(a.length, b.length); r++) {
    if (!a.pixels.subarray(r * rowBytes, (r + 1) * rowBytes).equals(b.pixels.subarray(r * rowBytes, (r + 1) * rowBytes))) diff++;
  }
  return diff + Math.abs(a.length - b.length);
}

/** Black pixels on a page (min-is-white: a set bit is black), to show a page is not blank. */
export function blackPixels(p: DecodedPage): number {
  let n = 0;
  for (const byte of p.pixels) {
    let v = p.photometric === 0 ? byte : ~byte & 0xff;
    while (v) {
      n += v & 1;
      v >>= 1;
    }
  }
  return n;
}
