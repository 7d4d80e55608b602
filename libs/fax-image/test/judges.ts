// Runs the independent judges (libtiff tools, Ghostscript) on files in a temp directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPbm, readUncompressedTiff } from '@faxgate/testkit';
import type { Bitmap } from '../src/index.ts';

export { readPbm };

export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'fax-image-'));
  path(name: string): string {
    return join(this.dir, name);
  }
  write(name: string, data: Uint8Array): string {
    const p = this.path(name);
    writeFileSync(p, data);
    return p;
  }
  read(name: string): Uint8Array {
    return readFileSync(this.path(name));
  }
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** tiffinfo -D output; throws with its stderr when libtiff printed any warning or error. */
export function tiffinfoStrict(file: string): string {
  const r = spawnSync('tiffinfo', ['-D', file], { encoding: 'utf8' });
  if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`tiffinfo -D ${file}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** tiffcp with the given arguments; fails on any libtiff warning. */
export function tiffcp(args: string[]): void {
  const r = spawnSync('tiffcp', args, { encoding: 'utf8' });
  if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`tiffcp ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
}

/**
 * libtiff's own decoding of every page: `tiffcp -c none`, then the uncompressed strips read by
 * the testkit's reader, so no code of fax-image takes part in judging fax-image.
 */
export function libtiffRasters(scratch: Scratch, file: string): Bitmap[] {
  const out = scratch.path(`libtiff-${Math.random().toString(36).slice(2)}.tif`);
  tiffcp(['-c', 'none', '-f', 'msb2lsb', file, out]);
  return readUncompressedTiff(readFileSync(out));
}

/** Ghostscript on a PostScript or PDF file with the given device. */
export function gs(device: string, input: string, output: string, extra: string[] = []): void {
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', `-sDEVICE=${device}`, ...extra, `-sOutputFile=${output}`, input], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Splits a multi-image PBM stream (one image per page) into bitmaps. */
export function readPbmPages(data: Uint8Array): Bitmap[] {
  const pages: Bitmap[] = [];
  let rest = data;
  while (rest.length > 0) {
    const b = readPbm(rest);
    pages.push(b);
    const text = Buffer.from(rest.subarray(0, 64)).toString('latin1');
    const header = /^P4\s+(?:#[^\n]*\n\s*)*\d+\s+\d+\s/.exec(text);
    if (!header) break;
    rest = rest.subarray(header[0].length + b.data.length);
  }
  return pages;
}
