// `faxgate` commands load only the modules they use (issue 18's fixed cost): `--help` of every
// command, and `faxgate config get` (which validates with every service's config schema), must
// not load the server stack. Each run records the modules its process loaded through Node's
// module hooks (module-recorder.ts), so a new static import that drags BullMQ, smtp-server,
// MuPDF or Fastify back into start-up fails here, whatever the machine's speed. How long a
// start takes is bench/cli-startup.bench.ts's business, not a test's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startRedis, tempDir, type TempDir, type TestRedis } from '@faxgate/testkit';
import { COMMANDS } from '../src/commands.ts';

// The entry ./faxgate runs (it turns Node's compile cache on, then imports src/main.ts).
const ENTRY = join(import.meta.dirname, '../bin/faxgate.mjs');
const RECORDER = join(import.meta.dirname, 'module-recorder.ts');
const TIMEOUT_MS = 60_000;

/** The server stack: what the roles need and a command's start-up must not pay for. */
const SERVER_STACK = ['bullmq', 'smtp-server', 'mupdf', 'fastify', 'sharp', '@kubernetes/client-node', 'prom-client'];

interface Run {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  /** file: URLs (and node: builtins) of every module the process loaded. */
  modules: string[];
}

let dir: TempDir;
let redis: TestRedis;

before(async () => {
  dir = await tempDir('faxgate-cli-startup');
  redis = await startRedis();
});

after(async () => {
  await redis?.dispose();
  await dir?.remove();
});

let runs = 0;

/** Runs `faxgate <args>` as its own process with the module recorder (bounded by TIMEOUT_MS). */
function faxgate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out = join(dir.path, `modules-${runs++}.txt`);
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', RECORDER, ENTRY, ...args], {
      timeout: TIMEOUT_MS,
      env: { ...process.env, FAXGATE_CONSOLE_URL: 'http://127.0.0.1:1', NODE_OPTIONS: '', ...env, FAXGATE_TEST_MODULES_OUT: out },
    }, async (err, stdout, stderr) => {
      const killed = err && 'killed' in err && err.killed;
      const modules = (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      resolve({ args, code: killed ? null : (err ? Number(err.code) : 0), stdout, stderr: killed ? `${stderr}\n(killed after ${TIMEOUT_MS} ms)` : stderr, modules });
    });
  });
}

/** The npm packages among the loaded modules, e.g. `bullmq`, `@kubernetes/client-node`. */
function packages(r: Run): Set<string> {
  const names = new Set<string>();
  for (const url of r.modules) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) names.add(m[1]);
  }
  return names;
}

const show = (r: Run) => `faxgate ${r.args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout.slice(0, 2000)}\n--- stderr\n${r.stderr}\n--- ${r.modules.length} modules, packages: ${[...packages(r)].join(' ')}`;

function assertNoServerStack(r: Run): void {
  // The recorder saw the run at all: its entry point is among what it recorded.
  assert.ok(r.modules.some((u) => u.endsWith('/services/cli/src/main.ts')), `the recorder saw no main.ts: ${show(r)}`);
  const loaded = SERVER_STACK.filter((p) => packages(r).has(p));
  assert.deepEqual(loaded, [], `start-up loaded the server stack: ${show(r)}`);
}

test('faxgate --help and every command\'s --help load none of the server stack', async () => {
  const top = await faxgate(['--help']);
  assert.equal(top.code, 0, show(top));
  assert.ok(top.stdout.includes('usage: faxgate'), show(top));
  assertNoServerStack(top);
  // Two at a time: the machine has 2 cores and other test files run beside this one.
  const names = COMMANDS.map((c) => c.name);
  for (let i = 0; i < names.length; i += 2) {
    const pair = await Promise.all(names.slice(i, i + 2).map((n) => faxgate([n, '--help'])));
    for (const r of pair) {
      assert.equal(r.code, 0, show(r));
      assertNoServerStack(r);
    }
  }
});

test('faxgate config get validates with every service\'s schema without loading the server stack', async () => {
  const r = await faxgate(['config', 'get', '--json'], { FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: `test-${randomUUID()}`, FAXGATE_DIAL_DENY: '+1900' });
  assert.equal(r.code, 0, show(r));
  const got = JSON.parse(r.stdout) as { version: number; settings: { name: string; value: string; from: string }[] };
  assert.equal(got.version, 0, show(r));
  // A setting the services' schemas define, read from the environment: the schemas were loaded
  // and used, not skipped.
  assert.deepEqual(got.settings.find((s) => s.name === 'FAXGATE_DIAL_DENY'), { name: 'FAXGATE_DIAL_DENY', value: '+1900', from: 'environment' }, show(r));
  for (const schema of ['ingest', 'dispatch', 'render', 'notifier']) {
    assert.ok(r.modules.some((u) => u.endsWith(`/services/${schema}/src/config.ts`)), `${schema}'s config schema was not loaded: ${show(r)}`);
  }
  // The recorder sees CommonJS packages too: the Redis client is one, and config get needs it.
  assert.ok(packages(r).has('ioredis'), `ioredis not recorded: ${show(r)}`);
  assertNoServerStack(r);
});

test('faxgate render of a document loads neither the mail parser nor sharp (the sandbox renders it)', async () => {
  const doc = join(dir.path, 'note.txt');
  const out = join(dir.path, 'note.tif');
  await writeFile(doc, 'A note for the fax: the first page of faxgate render waits for no mail modules.\n');
  const r = await faxgate(['render', doc, '-o', out], { FAXGATE_TAGLINE: 'off' });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /note\.tif: 1 page\(s\), 1728x\d+@204x196/, show(r));
  assert.ok(r.modules.some((u) => u.endsWith('/libs/render/src/render-fax.ts')), `the renderer was not loaded: ${show(r)}`);
  const loaded = ['mailparser', 'sharp'].filter((p) => packages(r).has(p));
  assert.deepEqual(loaded, [], `a document preview loaded mail or image modules: ${show(r)}`);
});
