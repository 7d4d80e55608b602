// What a `faxgate` command costs before it does anything (issue 18's fixed cost): wall time of
// whole commands as a user runs them, through the ./faxgate script, beside Ghostscript's own
// start-up and Node's, measured in the same run. `faxgate config get` reads a private Redis; the
// render figure is a one-page PDF (made here by Ghostscript) to a fax TIFF, against gs tiffg4 on
// the same file. Prints a table; asserts nothing (timings belong here, not in tests).
//   node bench/cli-startup.bench.ts [repeats=3] [checkout to measure=this one]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startRedis } from '@faxgate/testkit';

const repeats = Number(process.argv[2] ?? 3);
const root = resolve(process.argv[3] ?? join(import.meta.dirname, '..'));
/** Runs per figure and repeat; the best is kept (a start-up time's noise only ever adds). */
const BEST_OF = 5;
const work = mkdtempSync(join(tmpdir(), 'faxgate-bench-cli-'));
const redis = await startRedis();
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const pdf = join(work, 'one.pdf');
writeFileSync(join(work, 'one.ps'), '%!PS\n/Helvetica findfont 12 scalefont setfont\n72 720 moveto (A one-page letter: the first page of faxgate render against Ghostscript.) show\nshowpage\n');
spawnSync('gs', ['-q', '-sDEVICE=pdfwrite', '-o', pdf, join(work, 'one.ps')], { stdio: 'inherit' });

const faxgate = join(root, 'faxgate');
const env = { ...process.env, FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: `bench-${randomUUID()}`, NODE_OPTIONS: '' };
interface Figure {
  name: string;
  cmd: string[];
  /** The Ghostscript or Node figure this one is read against. */
  anchor?: string;
}
const gsTiff = ['gs', '-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${join(work, 'gs.tif')}`, pdf];
const figures: Figure[] = [
  { name: 'node -e 0', cmd: [process.execPath, '-e', '0'] },
  { name: 'gs --version', cmd: ['gs', '--version'] },
  { name: 'gs -h', cmd: ['gs', '-h'] },
  { name: 'gs tiffg4, one page', cmd: gsTiff },
  { name: 'faxgate --help', cmd: [faxgate, '--help'], anchor: 'gs -h' },
  { name: 'faxgate destinations --help', cmd: [faxgate, 'destinations', '--help'], anchor: 'gs -h' },
  { name: 'faxgate render --help', cmd: [faxgate, 'render', '--help'], anchor: 'gs -h' },
  { name: 'faxgate config get', cmd: [faxgate, 'config', 'get'], anchor: 'gs --version' },
  { name: 'faxgate render, one page', cmd: [faxgate, 'render', pdf, '-o', join(work, 'faxgate.tif')], anchor: 'gs tiffg4, one page' },
];

function wallMs(f: Figure): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(f.cmd[0], f.cmd.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${f.cmd.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.toString().slice(-2000)}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs: number[]) => Math.min(...xs);

// Once each first: the files are in the page cache, as after any earlier command.
for (const f of figures) wallMs(f);
const loadBefore = load();
const times = new Map<string, number[]>(figures.map((f) => [f.name, []]));
const ratios = new Map<string, number[]>(figures.map((f) => [f.name, []]));
// Every figure in every repeat, in turn, so load from elsewhere on the machine hits all alike;
// each ratio is from figures taken seconds apart.
for (let r = 0; r < repeats; r++) {
  const best = new Map<string, number>();
  for (let i = 0; i < BEST_OF; i++) for (const f of figures) best.set(f.name, Math.min(best.get(f.name) ?? Infinity, wallMs(f)));
  for (const f of figures) {
    times.get(f.name)!.push(best.get(f.name)!);
    if (f.anchor) ratios.get(f.name)!.push(best.get(f.name)! / best.get(f.anchor)!);
  }
}
await redis.dispose();

const rows: string[][] = [['command (wall time, best of 5)', 'ms min', 'median', 'anchor', 'x anchor min', 'median']];
for (const f of figures) {
  const t = times.get(f.name)!;
  const q = ratios.get(f.name)!;
  rows.push([f.name, min(t).toFixed(0), median(t).toFixed(0), f.anchor ?? '', q.length ? min(q).toFixed(1) : '', q.length ? median(q).toFixed(1) : '']);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
process.stdout.write(`checkout ${root}; ${repeats} repeats; load before ${loadBefore}, after ${load()}\n`);
for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 || c === 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}\n`);
