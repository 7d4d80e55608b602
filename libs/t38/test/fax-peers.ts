// Test support for the interop suite: the spandsp peer, the faxgate CLI as child processes,
// reference pages from Ghostscript, and page comparison through libtiff.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { differingPixels, differingRows, readUncompressedTiff } from '@faxgate/testkit';

const repo = resolve(import.meta.dirname, '../../..');
export const CLI = join(repo, 'libs/t38/src/cli.ts');

/** Builds the spandsp peer (test/peers/build.sh) and returns its path. */
export function buildSpandspPeer(): string {
  return execFileSync(join(repo, 'test/peers/build.sh'), { encoding: 'utf8' }).trim().split('\n').pop() as string;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'faxgate-t38-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A reference document from PostScript through Ghostscript's tiffg4 device. */
export function makeTiff(dir: string, name: string, pages: number, yDpi: 98 | 196 | 391, paper: 'a4' | 'b4' = 'a4', lines = 6): string {
  const ps = join(dir, `${name}.ps`);
  const out: string[] = ['%!PS', '/Helvetica findfont 26 scalefont setfont'];
  for (let p = 1; p <= pages; p++) {
    for (let i = 0; i < lines; i++) out.push(`72 ${760 - i * (lines > 6 ? 22 : 44)} moveto (faxgate T.38 page ${p} of ${pages}, line ${i + 1}) show`);
    out.push(`${60 + p * 40} 120 moveto 480 ${300 + p * 30} lineto 5 setlinewidth stroke showpage`);
  }
  writeFileSync(ps, out.join('\n') + '\n');
  const tif = join(dir, `${name}.tif`);
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', `-r204x${yDpi}`, `-sPAPERSIZE=${paper}`, `-sOutputFile=${tif}`, ps]);
  return tif;
}

/**
 * Compares two TIFFs page by page after libtiff (tiffcp -c none) decoded both, read by the
 * testkit (no TIFF code of faxgate's); returns a description of the first difference, or null
 * when every pixel matches.
 */
export function comparePages(dir: string, expected: string, actual: string): string | null {
  const decode = (file: string) => {
    const out = join(dir, `cmp-${Math.random().toString(36).slice(2)}.tif`);
    execFileSync('tiffcp', ['-c', 'none', '-f', 'msb2lsb', file, out]);
    return readUncompressedTiff(readFileSync(out));
  };
  const pa = decode(expected);
  const pb = decode(actual);
  if (pa.length !== pb.length) return `page count ${pb.length}, expected ${pa.length}`;
  for (let i = 0; i < pa.length; i++) {
    const x = pa[i], y = pb[i];
    if (x.width !== y.width || x.height !== y.height) return `page ${i + 1}: ${y.width}x${y.height}, expected ${x.width}x${x.height}`;
    const differ = differingPixels(x, y);
    if (differ !== 0) return `page ${i + 1}: ${differ} pixels differ, in ${differingRows(x, y)} rows`;
  }
  return null;
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `re` on stdout or stderr. */
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  exit: Promise<number>;
  kill: () => void;
}

const live = new Set<ChildProcess>();
function killChild(c: ChildProcess): void {
  if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
  try {
    process.kill(c.pid, 'SIGKILL');
  } catch {
    // already gone between the check and the signal
  }
}
process.on('exit', () => {
  for (const c of live) killChild(c);
});

export function start(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '', err = '';
  let closed = false;
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = out.match(w.re) ?? err.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); check(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); check(); });
  const exit = new Promise<number>((res) => child.on('close', (code, signal) => {
    live.delete(child);
    closed = true;
    check();
    // whatever is still awaited will never be printed now
    for (const w of waiters.splice(0)) w.reject(new Error(`${cmd} exited (${code ?? signal}) before printing ${w.re}:\n${out}\n${err}`));
    res(code ?? (signal ? 128 : -1));
  }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re, ms = 60_000) => new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timed out waiting for ${re} in\n${out}\n${err}`)), ms);
      waiters.push({ re, resolve: (m) => { clearTimeout(t); res(m); }, reject: (e) => { clearTimeout(t); rej(e); } });
      check();
      if (closed) {
        for (const w of waiters.splice(0)) w.reject(new Error(`${cmd} had already exited:\n${out}\n${err}`));
      }
    }),
    exit,
    kill: () => killChild(child),
  };
}

/**
 * Both parties' exit statuses. A call ends for both sides within seconds, so once one has
 * exited the other gets `ms`; a straggler is killed and reported with both outputs.
 */
export async function bothExit(a: Proc, b: Proc, ms = 20_000): Promise<[number, number]> {
  await Promise.race([a.exit, b.exit]);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((res) => { timer = setTimeout(() => res('late'), ms); });
  const r = await Promise.race([Promise.all([a.exit, b.exit]), late]);
  clearTimeout(timer);
  if (r === 'late') {
    a.kill();
    b.kill();
    throw new Error(`one side still ran ${ms} ms after the other exited:\n${a.stdout()}${a.stderr()}\n---\n${b.stdout()}${b.stderr()}`);
  }
  return r;
}

/** The faxgate t38 CLI with its socket on a lossy line (lossy-cli.ts), for the loss cases. */
const LOSSY_CLI = join(import.meta.dirname, 'lossy-cli.ts');

/** Node running the faxgate t38 CLI; with --drop-every, over a lossy line. */
export function faxgate(args: string[]): Proc {
  return start(process.execPath, [args.includes('--drop-every') ? LOSSY_CLI : CLI, ...args]);
}
