import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTiff, type Bitmap } from '@faxgate/fax-image';
import type { RunningGateway } from '@faxgate/runtime';
import type { InboundView } from '@faxgate/store';
import { waitUntil } from '@faxgate/testkit';

export const run = promisify(execFile);
export const TOKEN = 'inbound-test-token';

/**
 * A fax TIFF made by Ghostscript from PostScript (an independent producer): `pages` fine-mode
 * pages, 1728 dots wide like a real fax page, with text and line art to compare.
 */
export async function makeFaxTiff(dir: string, pages: number, label: string): Promise<Buffer> {
  const ps = ['%!PS'];
  for (let p = 1; p <= pages; p++) {
    ps.push('/Helvetica findfont 30 scalefont setfont');
    ps.push(`60 720 moveto (${label} page ${p} of ${pages}) show`);
    ps.push(`3 setlinewidth 60 690 moveto 560 ${690 - p * 40} lineto stroke`);
    ps.push(`newpath 300 400 ${60 + p * 20} 0 360 arc closepath stroke`);
    ps.push('/Courier findfont 11 scalefont setfont 60 200 moveto (fine print: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ) show');
    ps.push('showpage');
  }
  const src = join(dir, `${label.replace(/\W/g, '')}-${pages}.ps`);
  const out = src.replace(/\.ps$/, '.tif');
  await writeFile(src, ps.join('\n'));
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-g1728x2156', `-sOutputFile=${out}`, src]);
  return readFile(out);
}

/** Offers a simulated incoming call through the console API; returns the received fax's id. */
export async function offerCall(gw: RunningGateway, tiff: Uint8Array, q: Record<string, string>): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/api/v1/sim/incoming?${new URLSearchParams(q)}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  const body = (await res.json()) as { inboundId?: string; error?: string };
  if (res.status !== 202 || !body.inboundId) throw new Error(`sim/incoming: ${res.status} ${body.error}`);
  return body.inboundId;
}

export async function api(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** The received fax's record once it is delivered (or failed for good). */
export async function finished(gw: RunningGateway, id: string, timeoutMs = 60_000): Promise<InboundView> {
  return waitUntil(`received fax ${id} to be delivered`, async () => {
    const r = await api(gw, 'GET', `/api/v1/inbound/${id}`);
    return r.json.state === 'delivered' || r.json.state === 'failed' ? (r.json as InboundView) : undefined;
  }, timeoutMs, 50);
}

/** Pages of a PBM (P4) stream as bitmaps (1 = black, MSB first: the layout of ours). */
export function readPbm(data: Buffer): Bitmap {
  const header = /^P4\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s/.exec(data.subarray(0, 100).toString('latin1'));
  if (!header) throw new Error('not a raw PBM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  const stride = (width + 7) >> 3;
  return { width, height, stride, data: new Uint8Array(data.subarray(header[0].length, header[0].length + stride * height)) };
}

/** Ghostscript renders each PDF page at fax resolution to PBM: the judge of the PDF we mail. */
export async function renderPdfPages(pdf: Uint8Array, dir: string, tag: string): Promise<Bitmap[]> {
  const path = join(dir, `${tag}.pdf`);
  await writeFile(path, pdf);
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=pbmraw', '-r204x196', `-sOutputFile=${join(dir, `${tag}-%d.pbm`)}`, path]);
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${tag}-`) && f.endsWith('.pbm')).sort((a, b) => Number(/-(\d+)\.pbm$/.exec(a)![1]) - Number(/-(\d+)\.pbm$/.exec(b)![1]));
  return Promise.all(files.map(async (f) => readPbm(await readFile(join(dir, f)))));
}

/** libtiff decodes the TIFF (`tiffcp -c none`); we only split the uncompressed strips into pages. */
export async function decodeTiffWithLibtiff(tiff: Uint8Array, dir: string, tag: string): Promise<Bitmap[]> {
  const src = join(dir, `${tag}.tif`);
  const out = join(dir, `${tag}-none.tif`);
  await writeFile(src, tiff);
  await run('tiffcp', ['-c', 'none', src, out]);
  return readTiff(await readFile(out)).map((p) => {
    if (p.compression !== 'none') throw new Error(`tiffcp left ${p.compression}`);
    return p.decode();
  });
}

/** Pixels that differ between two bitmaps of the same size. */
export function differingPixels(a: Bitmap, b: Bitmap): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.stride; x++) {
      let v = a.data[y * a.stride + x] ^ b.data[y * b.stride + x];
      if (x === a.stride - 1 && a.width % 8) v &= (0xff00 >> (a.width % 8)) & 0xff;
      while (v) {
        n += v & 1;
        v >>= 1;
      }
    }
  }
  return n;
}

export function blackPixels(b: Bitmap): number {
  let n = 0;
  for (const byte of b.data) for (let v = byte; v; v >>= 1) n += v & 1;
  return n;
}

/** Rows that differ anywhere between two bitmaps of the same size. */
export function differingRows(a: Bitmap, b: Bitmap): number {
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    const ra = a.data.subarray(y * a.stride, (y + 1) * a.stride);
    const rb = b.data.subarray(y * b.stride, (y + 1) * b.stride);
    if (ra.some((v, i) => v !== rb[i])) n++;
  }
  return n;
}
