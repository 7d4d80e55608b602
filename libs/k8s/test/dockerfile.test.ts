import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { freePort, startRedis, tempDir, waitUntil } from '@faxgate/testkit';
import { REPO, dockerContext } from './docker-context.ts';

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8'));

interface Stage { name: string | null; from: string; instructions: Instruction[] }

/** The build stages, each with its FROM and the instructions up to the next FROM. */
function stages(): Stage[] {
  const out: Stage[] = [];
  for (const i of dockerfile.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const f = dockerfile.getFROMs().find((x) => x.getRange().start.line === i.getRange().start.line)!;
      out.push({ name: f.getBuildStage(), from: f.getImage() ?? '', instructions: [] });
    } else if (out.length) out[out.length - 1].instructions.push(i);
  }
  return out;
}

const args = (i: Instruction) => i.getArgumentsContent() ?? '';
const byKeyword = (s: Stage, k: string) => s.instructions.filter((i) => i.getKeyword() === k);
/** The instructions a stage sees, its parents' first (FROM <stage> inherits USER, CMD, ...). */
function effective(name: string | null): Instruction[] {
  const all = stages();
  const s = all.find((x) => x.name === name) ?? all[all.length - 1];
  const parent = all.find((x) => x.name === s.from);
  return [...(parent ? effective(parent.name) : []), ...s.instructions];
}
const last = (ins: Instruction[], k: string) => ins.filter((i) => i.getKeyword() === k).at(-1);

test('Dockerfile: multi-stage on Node 24 slim, non-root, exec-form entrypoint through tini, healthcheck, no remote ADD', () => {
  const all = stages();
  assert.deepEqual(all.map((s) => s.name), ['manifests', 'deps', 'runtime', 'render', null]);
  const base = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE')?.getProperty()?.getValue();
  assert.match(base ?? '', /^node:24(\.\d+)*-[a-z]+-slim$/);
  assert.equal(dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ADD').length, 0, 'COPY only: nothing fetched from URLs at build time');
  // The dependencies are installed from the lockfile, production only.
  assert.ok(byKeyword(all[1], 'RUN').some((r) => /npm ci --omit=dev/.test(args(r))));

  for (const target of ['runtime', 'render', null]) {
    const ins = effective(target);
    const user = last(ins, 'USER');
    assert.ok(user, `${target}: a USER is set`);
    assert.match(args(user!), /^[1-9]\d*(:\d+)?$/, `${target}: numeric non-root user (runAsNonRoot can verify it)`);
    const entry = last(ins, 'ENTRYPOINT') as unknown as { getJSONStrings(): Array<{ getJSONValue(): string }> };
    assert.deepEqual(entry.getJSONStrings().map((s) => s.getJSONValue()), ['/usr/bin/tini', '--', 'node', '/app/services/cli/src/main.ts'], 'exec form, tini as PID 1');
    const cmd = last(ins, 'CMD') as unknown as { getJSONStrings(): Array<{ getJSONValue(): string }> };
    assert.equal(cmd.getJSONStrings()[0].getJSONValue(), 'run', `${target}: CMD is exec form "run <role>"`);
    assert.ok(ins.some((i) => i.getKeyword() === 'HEALTHCHECK' && /\/healthz/.test(args(i))), `${target}: HEALTHCHECK on /healthz`);
    const env = ins.filter((i) => i.getKeyword() === 'ENV').map(args).join(' ');
    assert.match(env, /FAXGATE_DATA_DIR=\/data/);
    assert.match(env, /HOME=\/tmp/, 'HOME on a writable mount for a read-only root');
  }
  // Every file copied in comes from the context (so .dockerignore must keep it).
  const render = all.find((s) => s.name === 'render')!;
  const apt = byKeyword(render, 'RUN').map(args).join(' ');
  for (const pkg of ['libreoffice-writer-nogui', 'fonts-dejavu-core', 'fonts-noto-cjk']) assert.ok(apt.includes(pkg), `render image installs ${pkg}`);
  const runtime = all.find((s) => s.name === 'runtime')!;
  assert.ok(byKeyword(runtime, 'RUN').some((r) => /apt-get install[^&]*\btini\b/.test(args(r))));
});

test('.dockerignore: the context has the sources and lockfile, not node_modules, git, tests or charts', () => {
  const ctx = dockerContext();
  for (const f of ['package.json', 'package-lock.json', 'services/cli/src/main.ts', 'libs/runtime/src/index.ts', 'libs/k8s/package.json']) assert.ok(ctx.includes(f), `context keeps ${f}`);
  for (const d of ['libs', 'services']) {
    for (const ws of readdirSync(join(REPO, d))) if (statSync(join(REPO, d, ws, 'package.json'), { throwIfNoEntry: false })) assert.ok(ctx.includes(`${d}/${ws}/package.json`));
  }
  assert.ok(!ctx.some((f) => f.includes('node_modules/')), 'no node_modules');
  assert.ok(!ctx.some((f) => f.startsWith('.git/') || f.startsWith('.toolchain/') || f.startsWith('charts/') || f.startsWith('.test-tmp/')));
  assert.ok(!ctx.some((f) => f.endsWith('.test.ts') || f.includes('/test/')), 'no tests');
  // The COPY sources of the Dockerfile exist in the context.
  for (const s of ['libs', 'services', 'package.json', 'package-lock.json']) assert.ok(ctx.some((f) => f === s || f.startsWith(`${s}/`)));
});

test('the image build steps for real: npm ci --omit=dev into a copy of the context, then the start command reaches /readyz and stops on SIGTERM', { timeout: 600_000 }, async (t) => {
  const tmp = await tempDir('faxgate-image');
  const redis = await startRedis();
  t.after(async () => {
    await redis.dispose();
    await tmp.remove();
  });
  const app = join(tmp.path, 'app');
  // Stage "manifests" + "deps": the package files, then the locked production dependencies.
  const ctx = dockerContext();
  for (const f of ctx.filter((f) => f === 'package.json' || f === 'package-lock.json' || /^(libs|services)\/[^/]+\/package\.json$/.test(f))) {
    mkdirSync(dirname(join(app, f)), { recursive: true });
    cpSync(join(REPO, f), join(app, f));
  }
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, stdio: 'pipe', timeout: 480_000 });
  assert.ok(statSync(join(app, 'node_modules/bullmq/package.json')).isFile());
  for (const dev of ['fast-check', 'kubernetes-models', 'dockerfile-ast']) assert.equal(statSync(join(app, 'node_modules', dev), { throwIfNoEntry: false }), undefined, `dev dependency ${dev} left out`);
  // Stage "runtime": the sources on top.
  for (const f of ctx.filter((f) => f.startsWith('libs/') || f.startsWith('services/'))) {
    mkdirSync(dirname(join(app, f)), { recursive: true });
    cpSync(join(REPO, f), join(app, f));
  }
  const before = snapshot(app);
  const data = join(tmp.path, 'data');
  const home = join(tmp.path, 'home');
  mkdirSync(data);
  mkdirSync(home);
  const httpPort = await freePort();
  const child = spawn(process.execPath, ['services/cli/src/main.ts', 'run', 'all'], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      NODE_ENV: 'production',
      NODE_OPTIONS: '--disable-warning=ExperimentalWarning',
      FAXGATE_REDIS_URL: redis.url,
      FAXGATE_QUEUE_PREFIX: `image-${process.pid}`,
      FAXGATE_DATA_DIR: data,
      FAXGATE_HTTP_HOST: '127.0.0.1',
      FAXGATE_HTTP_PORT: String(httpPort),
      FAXGATE_SMTP_HOST: '127.0.0.1',
      FAXGATE_SMTP_PORT: '0',
      FAXGATE_CONSOLE_PASSWORD: 'x',
      FAXGATE_LOG_LEVEL: 'warn',
      FAXGATE_DIRECTORY: join(data, 'directory.yaml'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitUntil('/readyz', async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output}`);
    const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
    return r?.status === 200;
  }, 60_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${output}`);
  });
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
  // Every metric the chart's Grafana dashboard queries is one the running gateway exposes.
  const exposed = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const dashboard = readFileSync(join(REPO, 'charts/faxgate/files/grafana-dashboard.json'), 'utf8');
  // A histogram is queried by its series (_bucket); its TYPE line names the histogram.
  const queried = [...new Set([...dashboard.matchAll(/\b((?:faxgate|process|nodejs)_[a-z0-9_]+)\{/g)].map((m) => m[1].replace(/_bucket$/, '')))];
  assert.ok(queried.length >= 6, `the dashboard queries metrics (${queried.join(', ')})`);
  for (const name of queried) assert.match(exposed, new RegExp(`^# TYPE ${name} `, 'm'), `/metrics has ${name}`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, `graceful exit on SIGTERM:\n${output}`);
  // Read-only root: nothing under the application directory was written.
  assert.deepEqual(snapshot(app), before);
});

/** Paths and sizes of the files under a directory outside node_modules. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}
