// The suite's runner (`make test`): node's own test runner (node:test `run`), with the longest
// test files started first.
//
// `node --test` sorts its files by path, so the long real-time integration files (services/*,
// HylaFAX and Class 1 modem calls of two to three minutes each) started last and ran on after
// everything else had finished, one or two at a time: the last minutes of a run had a load under
// 1 on a 2-core machine. Started first, they overlap the many short files instead (longest
// processing time first: the run ends close to total test time / concurrency). The expected
// time of each file comes from test/durations.json, written by a previous run with --record;
// a file not listed there is placed by where it lives (integration tests before unit tests).
//
// Everything else is the same as `node --test`: one process per file, the same --import, the
// per-test timeout, --test-force-exit, the spec reporter and an exit code of 1 on any failure.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { globSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const durationsFile = join(root, 'test', 'durations.json');

interface Options { concurrency: number; timeoutMs: number; record: boolean; patterns: string[] }

function parseArgs(argv: string[]): Options {
  const opts: Options = { concurrency: 6, timeoutMs: 120_000, record: false, patterns: [] };
  for (const arg of argv) {
    const [key, value] = arg.split(/=(.*)/s, 2);
    if (key === '--concurrency') opts.concurrency = positiveInt(key, value);
    else if (key === '--timeout') opts.timeoutMs = positiveInt(key, value);
    else if (key === '--record') opts.record = true;
    else if (arg.startsWith('--')) throw new Error(`run-tests: unknown option ${arg} (known: --concurrency=N --timeout=MS --record)`);
    else opts.patterns.push(arg);
  }
  if (opts.patterns.length === 0) throw new Error('run-tests: no test files or globs given');
  return opts;
}

function positiveInt(key: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`run-tests: ${key} wants a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function readDurations(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(durationsFile, 'utf8')) as Record<string, number>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`run-tests: ${durationsFile} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Seconds a file is expected to take: measured, else a guess from where it lives. */
function expectedSeconds(file: string, durations: Record<string, number>): number {
  const measured = durations[file];
  if (typeof measured === 'number') return measured;
  return /\/test\//.test(file) ? 30 : 2;
}

/** The files to run, longest expected first (ties by path, so the order is the same every run). */
export function orderFiles(files: string[], durations: Record<string, number>): string[] {
  return [...new Set(files)].sort((a, b) => expectedSeconds(b, durations) - expectedSeconds(a, durations) || a.localeCompare(b));
}

function expand(patterns: string[]): string[] {
  const files: string[] = [];
  for (const p of patterns) {
    const found = /[*?[{]/.test(p) ? globSync(p, { cwd: root, exclude: (f) => f.includes('node_modules') }) : [p];
    if (found.length === 0) throw new Error(`run-tests: ${p} matches no file`);
    files.push(...found.map((f) => relative(root, resolve(root, f))));
  }
  return files;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const durations = readDurations();
  const files = orderFiles(expand(opts.patterns), durations);
  const measured: Record<string, number> = {};
  let passed: boolean | undefined;

  const stream = run({
    cwd: root,
    files,
    concurrency: opts.concurrency,
    timeout: opts.timeoutMs,
    forceExit: true,
    execArgv: ['--import', join(root, 'test', 'flush-before-force-exit.ts')],
  });
  stream.on('test:summary', (s) => {
    if (s.file) measured[relative(root, s.file)] = Math.round(s.duration_ms / 100) / 10;
    else passed = s.success;
  });
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(new spec());
    out.on('error', reject);
    out.on('end', resolve);
    out.pipe(process.stdout, { end: false });
  });

  const longest = Object.entries(measured).sort((a, b) => b[1] - a[1]).slice(0, 8);
  process.stdout.write(`\nlongest files (s): ${longest.map(([f, s]) => `${f} ${s}`).join(', ')}\n`);
  if (opts.record) {
    const merged = Object.fromEntries(Object.entries({ ...durations, ...measured }).sort((a, b) => b[1] - a[1]));
    writeFileSync(durationsFile, JSON.stringify(merged, null, 1) + '\n');
    process.stdout.write(`recorded ${Object.keys(measured).length} file durations in ${relative(root, durationsFile)}\n`);
  }
  // No final summary means the runner itself failed: that is a failed run, never a green one.
  process.exitCode = passed === true ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  });
}
