import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeTiffWithLibtiff, differingPixels } from '@faxgate/testkit';

// What the tests over an iaxmodem pair (./iaxmodem-pair.ts) share besides the modems: efax, an
// independent Class 1 fax program, as the far fax machine, and libtiff as the judge of the pages
// either side received. Nothing here is faxgate's: the judges must not be faxgate judging itself.

const run = promisify(execFile);

/** One efax process: what it printed so far and its exit code. */
export interface EfaxRun {
  proc: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

const running = new Set<ChildProcess>();
// A test that dies mid-way must not leave an efax holding a modem.
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts efax with `args`; its stdout and stderr are kept for the evidence of a failing test. */
export function efax(args: string[]): EfaxRun {
  const proc = spawn('efax', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    running.delete(proc);
    resolve(code);
  }));
  return { proc, output: () => out, exit };
}

/** Ends every efax still running (a test's `after`). */
export function killEfax(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * efax answering on `device` after one ring (S0=1 in the modem), identifying as `localId`, and
 * storing each page it receives as `<prefix>.001`, `.002`, ...
 */
export function efaxReceive(device: string, localId: string, prefix: string): EfaxRun {
  return efax(['-d', device, '-o1', '-iS0=1', '-w', '-l', localId, '-r', prefix, '-v', 'ewinr']);
}

/** What efaxSend did: the efax run that dialled through and its exit code. */
export interface EfaxSendResult {
  run: EfaxRun;
  code: number | null | 'timeout';
}

/** V.17 14400, the fastest rate efax 0.9a sends at: 1800 octets a second. */
const EFAX_MAX_OCTETS_PER_S = 1800;

/**
 * Throws if efax could send one of `files` in under 2 s, even at V.17 14400, its fastest.
 *
 * efax 0.9a dies of SIGFPE ("terminating on signal 8", exit 5) after a page whose data it sent
 * in under a second: its end of page logs `sent N lines, N bytes, T s, N bps` with the bps as
 * octets × 8 / T, T in whole seconds (time(2) at the start of the page's data and after the
 * modem's OK to DLE ETX), which is 0 when both fall in the same second. Under gdb (Debian's
 * 1:0.9a-21): `idiv %r14` at offset 0x4dbd of /usr/bin/efax with r14 = 0 and rax = octets × 8
 * (13056 for a 1632-octet page to faxgate, 7744 for a 968-octet page to efax's own receiver).
 * faxgate's DIS is not the trigger: like efax's own and spandsp's default it asks for no
 * scan-line padding (0 ms, T.30 Table 2 bits 21–23), which T.30 allows, and efax chooses the same
 * session with either receiver; nothing then lengthens a short page.
 * A page of at least 1800 octets cannot crash it: the modem cannot send faster and answers OK
 * after the last octet, so T ≥ 1. efax re-codes each row in MH with its EOL and no fill: an MH
 * TIFF's row less the up to 7 bits that align its EOL, so efax sends at least the strips' octets
 * less one a row. The bound asked here is twice that second, for efax's header band drawn over
 * the page's first rows.
 */
export async function assertEfaxPagesLongEnough(files: string[]): Promise<void> {
  for (const f of files) {
    const { stdout } = await run('tiffinfo', ['-s', f]);
    const scheme = /Compression Scheme: (.*)/.exec(stdout)?.[1] ?? '?';
    const g3Options = Number(/Group 3 Options: .*\((\d+) =/.exec(stdout)?.[1] ?? 0);
    const rows = [...stdout.matchAll(/Image Length: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const octets = [...stdout.matchAll(/^\s+\d+: \[\s*\d+,\s*(\d+)\]/gm)].reduce((n, m) => n + Number(m[1]), 0);
    // T.4 §4.2 2-D rows may be longer than their MH form: the bound holds for MH only.
    assert.ok(scheme === 'CCITT Group 3' && (g3Options & 1) === 0, `${f}: efax is given MH pages here, not ${scheme} (Group 3 options ${g3Options})`);
    const floor = octets - rows;
    assert.ok(floor >= 2 * EFAX_MAX_OCTETS_PER_S, `${f}: efax could send this page (${rows} rows, ${octets} octets of T.4 data, at least ${floor} on the line) in under 2 s at V.17 14400, and efax 0.9a dies of SIGFPE after a page sent within one second (assertEfaxPagesLongEnough): give it more rows or more ink`);
  }
}

/**
 * efax dialling `number` on `device` and sending `files` (one TIFF per page: efax mis-splits
 * multi-page TIFFs). Each page must keep efax sending for over a second
 * (assertEfaxPagesLongEnough): efax's own crash after shorter pages is avoided, not retried.
 * iaxmodem answers NO DIALTONE for about 5 s after an on-hook on either modem (the far driver's
 * ATZ, the previous call's ATH) and efax gives up at once without a call: it dials again
 * shortly, three dials at most.
 */
export async function efaxSend(device: string, localId: string, number: string, files: string[], timeoutMs: number): Promise<EfaxSendResult> {
  await assertEfaxPagesLongEnough(files);
  let last: EfaxSendResult | undefined;
  for (let dial = 1; dial <= 3; dial++) {
    const tx = efax(['-d', device, '-o1', '-l', localId, '-v', 'ewinr', '-t', number, ...files]);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([tx.exit, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
    clearTimeout(timer);
    last = { run: tx, code };
    if (code === 0 || !/dial command failed/.test(tx.output())) break;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  return last!;
}

/** The pages efax stored under `prefix` (in `dir`), joined by libtiff's tiffcp into one TIFF. */
export async function efaxReceivedPages(dir: string, prefix: string): Promise<{ files: string[]; joined: string }> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${prefix}.`)).sort();
  const joined = join(dir, `${prefix}-joined.tif`);
  if (files.length > 0) await run('tiffcp', [...files.map((f) => join(dir, f)), joined]);
  return { files, joined };
}

/** libtiff decodes both; every page must have the size of the page sent and match it pixel for pixel. */
export async function assertSamePages(got: Uint8Array | string | undefined, sent: Uint8Array | string, workDir: string, tag: string): Promise<void> {
  assert.ok(got, 'no document received');
  const a = await decodeTiffWithLibtiff(got, workDir, tag);
  const b = await decodeTiffWithLibtiff(sent, workDir, `${tag}-sent`);
  assert.equal(a.length, b.length, 'page count');
  for (let i = 0; i < b.length; i++) {
    assert.equal(a[i].width, b[i].width, `page ${i + 1} width`);
    assert.equal(a[i].height, b[i].height, `page ${i + 1} height`);
    assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
  }
}

/**
 * efax 0.9a adds its own header band above every page it sends (a ruler and the sender id, about
 * 31 rows, whose text reaches into the page's first rows) and a few rows below it
 * (docs/modems.md).
 */
export const EFAX_HEADER_OVERLAP = 16;

/**
 * For pages efax sent: every row of each page sent, from row EFAX_HEADER_OVERLAP on, must appear
 * pixel for pixel in the page received, shifted down by efax's band (at most 64 rows).
 */
export async function assertPagesBelowEfaxHeader(got: Uint8Array | string, sent: Uint8Array | string, workDir: string, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(got, workDir, tag);
  const b = await decodeTiffWithLibtiff(sent, workDir, `${tag}-sent`);
  assert.equal(a.length, b.length, 'page count');
  for (let i = 0; i < b.length; i++) {
    assert.equal(a[i].width, b[i].width, `page ${i + 1} width`);
    const rowBytes = b[i].stride;
    const matchesAt = (off: number) => {
      for (let y = EFAX_HEADER_OVERLAP; y < b[i].height; y++) {
        for (let k = 0; k < rowBytes; k++) if (a[i].data[(y + off) * a[i].stride + k] !== b[i].data[y * rowBytes + k]) return false;
      }
      return true;
    };
    const offsets = Array.from({ length: Math.max(0, Math.min(64, a[i].height - b[i].height) + 1) }, (_, o) => o);
    assert.ok(offsets.some(matchesAt), `page ${i + 1}: rows ${EFAX_HEADER_OVERLAP}–${b[i].height - 1} sent do not appear whole in the ${a[i].height} rows received`);
  }
}

/** The vertical resolution of every page, as libtiff's tiffinfo reads it. */
export async function yDpiOf(file: string): Promise<number[]> {
  const { stdout } = await run('tiffinfo', [file]);
  return [...stdout.matchAll(/Resolution: [\d.]+, ([\d.]+) pixels\/inch/g)].map((m) => Math.round(Number(m[1])));
}

/**
 * The coding of every page as libtiff's tiffinfo reads it: `mh` (Group 3, 1-D), `mr` (Group 3
 * with 2-D rows, T.4 §4.2) or `mmr` (Group 4, T.6); anything else as tiffinfo names it.
 */
export async function codingsOf(file: string): Promise<string[]> {
  const { stdout } = await run('tiffinfo', [file]);
  return stdout.split(/TIFF Directory at offset/).slice(1).map((dir) => {
    const scheme = /Compression Scheme: (.*)/.exec(dir)?.[1]?.trim() ?? '?';
    if (scheme === 'CCITT Group 4') return 'mmr';
    if (scheme !== 'CCITT Group 3') return scheme;
    // T4Options (TIFF 6.0 §11): bit 0 set when rows may be 2-D coded.
    return Number(/Group 3 Options: .*\((\d+) =/.exec(dir)?.[1] ?? 0) & 1 ? 'mr' : 'mh';
  });
}
