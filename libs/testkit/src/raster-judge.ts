import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const run = promisify(execFile);

/**
 * A bilevel page as the judges see it: 1 = black, rows of `stride` bytes, most significant bit
 * first. The same shape as `@faxgate/fax-image`'s Bitmap, declared here so that the testkit
 * depends on no library it judges (fax-image's own tests import the testkit).
 */
export interface Raster {
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
}

/**
 * libtiff decodes every page of the TIFF (`tiffcp -c none -f msb2lsb`); this file only reads the
 * uncompressed strips libtiff wrote (TIFF 6.0 §2 "Image File Directory", §8 baseline bilevel
 * fields), so no codec of ours takes part in the judgement.
 */
export async function decodeTiffWithLibtiff(tiff: Uint8Array | string, dir: string, tag: string): Promise<Raster[]> {
  let src: string;
  if (typeof tiff === 'string') src = tiff;
  else {
    src = join(dir, `${tag}.tif`);
    await writeFile(src, tiff);
  }
  const out = join(dir, `${tag}-none.tif`);
  await run('tiffcp', ['-c', 'none', '-f', 'msb2lsb', src, out]);
  return readUncompressedTiff(await readFile(out));
}

/** The pages of an uncompressed bilevel TIFF, as libtiff's tiffcp writes them. */
export function readUncompressedTiff(buf: Uint8Array): Raster[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const order = String.fromCharCode(buf[0], buf[1]);
  if (order !== 'II' && order !== 'MM') throw new Error('not a TIFF: no byte-order mark');
  const le = order === 'II';
  const u16 = (o: number) => view.getUint16(o, le);
  const u32 = (o: number) => view.getUint32(o, le);
  if (u16(2) !== 42) throw new Error('not a classic TIFF (magic 42)');
  const pages: Raster[] = [];
  for (let ifd = u32(4); ifd !== 0; ) {
    const fields = new Map<number, number[]>();
    const n = u16(ifd);
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      const tagId = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      // SHORT (3) and LONG (4) are the only types the baseline bilevel fields use.
      if (type !== 3 && type !== 4) continue;
      const size = type === 3 ? 2 : 4;
      const at = count * size <= 4 ? e + 8 : u32(e + 8);
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push(type === 3 ? u16(at + k * 2) : u32(at + k * 4));
      fields.set(tagId, values);
    }
    const one = (t: number, dflt?: number) => {
      const v = fields.get(t)?.[0] ?? dflt;
      if (v === undefined) throw new Error(`TIFF page ${pages.length + 1} has no tag ${t}`);
      return v;
    };
    const width = one(256);
    const height = one(257);
    if (one(259, 1) !== 1) throw new Error(`page ${pages.length + 1} is still compressed (${one(259)})`);
    if (one(258, 1) !== 1 || one(277, 1) !== 1) throw new Error(`page ${pages.length + 1} is not bilevel`);
    if (one(266, 1) !== 1) throw new Error(`page ${pages.length + 1} has FillOrder ${one(266)}`);
    const photometric = one(262);
    const stride = (width + 7) >> 3;
    const data = new Uint8Array(stride * height);
    const offsets = fields.get(273) ?? [];
    const counts = fields.get(279) ?? [];
    let pos = 0;
    for (let s = 0; s < offsets.length && pos < data.length; s++) {
      const chunk = buf.subarray(offsets[s], offsets[s] + Math.min(counts[s], data.length - pos));
      data.set(chunk, pos);
      pos += chunk.length;
    }
    if (pos !== data.length) throw new Error(`page ${pages.length + 1}: ${pos} of ${data.length} bytes of strips`);
    // Photometric 0 (WhiteIsZero) already has 1 = black; 1 (BlackIsZero) is inverted.
    if (photometric === 1) for (let i = 0; i < data.length; i++) data[i] ^= 0xff;
    pages.push({ width, height, stride, data });
    ifd = u32(ifd + 2 + n * 12);
  }
  return pages;
}

/** Pages of a raw PBM (P4) stream (1 = black, most significant bit first). */
export function readPbm(data: Uint8Array): Raster {
  const head = Buffer.from(data.subarray(0, 100)).toString('latin1');
  const header = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s/.exec(head);
  if (!header) throw new Error('not a raw PBM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  const stride = (width + 7) >> 3;
  return { width, height, stride, data: new Uint8Array(data.subarray(header[0].length, header[0].length + stride * height)) };
}

/** Ghostscript renders each PDF page at fax resolution (204 × 196 dpi) to PBM: the judge of a PDF. */
export async function renderPdfPages(pdf: Uint8Array, dir: string, tag: string): Promise<Raster[]> {
  const path = join(dir, `${tag}.pdf`);
  await writeFile(path, pdf);
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pbmraw', '-r204x196', `-sOutputFile=${join(dir, `${tag}-%d.pbm`)}`, path]);
  const pageNo = (f: string) => Number(/-(\d+)\.pbm$/.exec(f)![1]);
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${tag}-`) && /-\d+\.pbm$/.test(f)).sort((a, b) => pageNo(a) - pageNo(b));
  return Promise.all(files.map(async (f) => readPbm(await readFile(join(dir, f)))));
}

const BITS = new Uint8Array(256).map((_, v) => {
  let n = 0;
  for (let b = v; b; b >>= 1) n += b & 1;
  return n;
});

/** Pixels that differ between two rasters; Infinity when their sizes differ. */
export function differingPixels(a: Raster, b: Raster): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  const tail = a.width % 8 ? (0xff00 >> (a.width % 8)) & 0xff : 0xff;
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.stride; x++) {
      let v = a.data[y * a.stride + x] ^ b.data[y * b.stride + x];
      if (x === a.stride - 1) v &= tail;
      n += BITS[v];
    }
  }
  return n;
}

/** Black pixels of a raster (padding bits at the end of each row excluded). */
export function blackPixels(r: Raster): number {
  const tail = r.width % 8 ? (0xff00 >> (r.width % 8)) & 0xff : 0xff;
  let n = 0;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.stride; x++) n += BITS[x === r.stride - 1 ? r.data[y * r.stride + x] & tail : r.data[y * r.stride + x]];
  }
  return n;
}

/** Rows that differ anywhere between two rasters of the same size. */
export function differingRows(a: Raster, b: Raster): number {
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    const ra = a.data.subarray(y * a.stride, (y + 1) * a.stride);
    const rb = b.data.subarray(y * b.stride, (y + 1) * b.stride);
    if (ra.some((v, i) => v !== rb[i])) n++;
  }
  return n;
}
