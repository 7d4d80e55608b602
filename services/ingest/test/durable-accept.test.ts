import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { join } from 'node:path';
import { startRedis, tempDir, smtpDialogue, testGatewayEnv, roleProcessEnv, startRoleProcess, freePort, waitUntil, type TestRedis } from '@faxgate/testkit';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { JOBS, jobId } from '@faxgate/queue';
import { ingestRole } from '../src/index.ts';

// Issue 18: a 250 must mean the message, its fax record and its render job survive a power cut.
// The message file is fsynced by the blob store; the record and the job are durable when Redis
// fsyncs its AOF before it replies (appendfsync always), which these tests watch Redis do.

const mail = (n: number) => ['EHLO client.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'DATA', `From: Alice <alice@example.com>\r\nTo: 12125550100@fax.test\r\nSubject: durable ${n}\r\n\r\nBody of mail ${n}.\r\n.`];

async function sendOne(port: number, n: number): Promise<string> {
  const replies = await smtpDialogue(port, mail(n));
  const data = replies[5];
  assert.equal(data.code, 250, `DATA of mail ${n} answered ${data.code} ${data.text}`);
  const faxId = /queued as (\S+)/.exec(data.text)?.[1];
  assert.ok(faxId, `no fax id in "${data.text}"`);
  return faxId;
}

async function startIngest(redis: TestRedis, label: string): Promise<{ gw: RunningGateway; dataDir: string; dispose(): Promise<void> }> {
  const dir = await tempDir(label);
  const dataDir = join(dir.path, 'data');
  const gw = await runRoles([ingestRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir }, { FAXGATE_FAX_DOMAINS: 'fax.test' }) });
  return {
    gw,
    dataDir,
    async dispose() {
      await gw.stop();
      await dir.remove();
    },
  };
}

test('ingest says whether its 250 survives a power cut, from the Redis it is connected to, again at each reconnection', async (t) => {
  const redis = await startRedis(); // testkit's default: AOF with appendfsync everysec
  const dir = await tempDir('faxgate-durable-log');
  t.after(async () => {
    await redis.dispose();
    await dir.remove();
  });
  const admin = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: 'smtp://127.0.0.1:9', smtpPort: await freePort() }, { FAXGATE_LOG_LEVEL: 'info' });
  const ingest = await startRoleProcess(['ingest'], env);
  t.after(async () => void (await ingest.stop()));
  await ingest.ready();
  const line = (what: string, re: RegExp) => waitUntil(what, () => ingest.output().split('\n').find((l) => re.test(l)), 15_000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ingest output ---\n${ingest.output().slice(-4000)}`);
  });
  const everysec = JSON.parse(await line('the everysec warning', /about once a second/));
  assert.equal(everysec.level, 40, 'a warning');
  assert.equal(everysec.durableAccept, false);
  assert.match(everysec.msg, /^Redis 7\.\d+\.\d+ fsyncs its AOF about once a second: a power cut can lose faxes already answered 250; set appendfsync always/);

  // Reconfigured and reconnected (as after a Redis restart with a new redis.conf): said again.
  admin('CONFIG', 'SET', 'appendfsync', 'always');
  admin('CLIENT', 'KILL', 'TYPE', 'normal');
  const always = JSON.parse(await line('the durable line', /appendfsync always\): a 250 means/));
  assert.equal(always.level, 30);
  assert.equal(always.durableAccept, true);

  admin('CONFIG', 'SET', 'appendonly', 'no');
  admin('CLIENT', 'KILL', 'TYPE', 'normal');
  const noAof = JSON.parse(await line('the no-AOF warning', /runs without AOF/));
  assert.equal(noAof.durableAccept, false);
});

test('with appendfsync always, Redis fsyncs the AOF holding a fax\'s record and job before it sends any reply, so before the 250', async (t) => {
  const redis = await startRedis({ extraArgs: ['--appendfsync', 'always'] });
  t.after(() => redis.dispose());
  const ing = await startIngest(redis, 'faxgate-durable-strace');
  t.after(() => ing.dispose());
  const port = ing.gw.instanceOf(ingestRole).smtpPort();
  await sendOne(port, 0); // connections, queues and scripts set up before watching

  const pid = Number(/^process_id:(\d+)/m.exec(await ing.gw.ctx.redis.info('server'))?.[1]);
  assert.ok(pid > 0);
  const faxIds: string[] = [];
  const probe = async () => {
    const token = `strace-probe-${randomUUID()}`;
    await ing.gw.ctx.redis.set(token, '1');
    return token;
  };
  const traced = await straceDuring(pid, 'write,writev,fsync,fdatasync', join(ing.dataDir, 'redis.strace'), probe, async () => {
    for (let n = 1; n <= 3; n++) faxIds.push(await sendOne(port, n));
  });

  // Redis's main thread (tid = pid) writes the AOF, fsyncs it and writes the replies, in that
  // order within one turn of its event loop; with everysec a background thread fsyncs instead.
  const lines = traced.filter((l) => l.startsWith(`${pid} `));
  const events = lines.map((l) => {
    const aof = /^\d+ +(write|fdatasync|fsync)\(\d+<[^>]*appendonly[^>]*>/.exec(l);
    if (aof) return { kind: aof[1] === 'write' ? 'aof-write' : 'aof-fsync', line: l };
    if (/^\d+ +writev?\(\d+<TCP/.test(l)) return { kind: 'reply', line: l };
    return { kind: 'other', line: l };
  });
  const dump = () => lines.slice(0, 60).map((l) => l.slice(0, 200)).join('\n');
  for (const faxId of faxIds) {
    const writes = events.map((e, i) => ({ ...e, i })).filter((e) => e.kind === 'aof-write' && e.line.includes(faxId));
    assert.ok(writes.some((w) => w.line.includes(`rec:fax:${faxId}`)), `the record of ${faxId} was never written to the AOF:\n${dump()}`);
    assert.ok(writes.some((w) => w.line.includes(`render-${faxId}`)), `the render job of ${faxId} was never written to the AOF:\n${dump()}`);
    for (const w of writes) {
      const next = events.slice(w.i + 1).find((e) => e.kind === 'aof-fsync' || e.kind === 'reply');
      assert.equal(next?.kind, 'aof-fsync', `after Redis wrote ${faxId} to its AOF it replied before an fsync:\n${w.line.slice(0, 200)}\nthen: ${next?.line.slice(0, 200)}`);
    }
  }
});

/**
 * Runs strace on a process (every thread) while `during` runs; returns its lines. strace says
 * "attached" before it traces every thread, so `probe` (which makes the process write a marker
 * it returns) is repeated until the marker is in the trace: only then does `during` start.
 */
async function straceDuring(pid: number, syscalls: string, outFile: string, probe: () => Promise<string>, during: () => Promise<void>): Promise<string[]> {
  // -yy names each fd (a file's path, a socket's addresses); -s shows the bytes written.
  const strace = spawn('strace', ['-f', '-yy', '-s', '100000', '-e', `trace=${syscalls}`, '-o', outFile, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  strace.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise((r) => strace.once('exit', r));
  try {
    await waitUntil(`strace to attach to ${pid}`, () => /attached/.test(err) || (strace.exitCode !== null && Promise.reject(new Error(`strace exited: ${err}`))), 10_000);
    await waitUntil(`strace of ${pid} to show a probe's write`, async () => {
      const marker = await probe();
      return (await readFile(outFile, 'utf8').catch(() => '')).includes(marker);
    }, 15_000, 200);
    await during();
  } finally {
    if (strace.exitCode === null && strace.signalCode === null) strace.kill('SIGINT');
    await exited;
  }
  return (await readFile(outFile, 'utf8')).split('\n');
}

interface Syscall { name: string; args: string; start: number; end: number }

/** strace -f lines as whole calls, with the positions where each started and ended (a call another thread interrupted is split in two lines). */
function syscalls(lines: string[]): Syscall[] {
  const open = new Map<string, { name: string; args: string; start: number }>();
  const out: Syscall[] = [];
  lines.forEach((l, i) => {
    const unfinished = /^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$/.exec(l);
    if (unfinished) return void open.set(unfinished[1], { name: unfinished[2], args: unfinished[3], start: i });
    const resumed = /^(\d+) +<\.\.\. (\w+) resumed>(.*)$/.exec(l);
    if (resumed) {
      const o = open.get(resumed[1]);
      open.delete(resumed[1]);
      if (o) out.push({ name: o.name, args: o.args + resumed[3], start: o.start, end: i });
      return;
    }
    const whole = /^(\d+) +(\w+)\((.*)$/.exec(l);
    if (whole) out.push({ name: whole[2], args: whole[3], start: i, end: i });
  });
  return out;
}

test('ingest fsyncs the message file, renames it and fsyncs its directory before it answers 250', async (t) => {
  const redis = await startRedis({ extraArgs: ['--appendfsync', 'always'] });
  const dir = await tempDir('faxgate-durable-files');
  t.after(async () => {
    await redis.dispose();
    await dir.remove();
  });
  const smtpPort = await freePort();
  const ingest = await startRoleProcess(['ingest'], roleProcessEnv({ redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: 'smtp://127.0.0.1:9', smtpPort }));
  t.after(async () => void (await ingest.stop()));
  await ingest.ready();
  const faxIds: string[] = [];
  const probe = async () => `queued as ${await sendOne(smtpPort, 0)}`;
  const lines = await straceDuring(ingest.child.pid!, 'fsync,fdatasync,rename,renameat,renameat2,write,writev', join(dir.path, 'ingest.strace'), probe, async () => {
    // Three sessions at once, so that renames land while another message's directory fsync
    // runs: such a message must wait for a later fsync (the group commit's rule).
    await Promise.all([0, 1, 2].map(async (s) => {
      for (let n = 1; n <= 3; n++) faxIds.push(await sendOne(smtpPort, s * 10 + n));
    }));
  });
  const calls = syscalls(lines);
  const dump = () => calls.filter((c) => c.name !== 'write' || c.args.includes('<TCP')).slice(0, 40).map((c) => `${c.name}(${c.args.slice(0, 160)}`).join('\n');
  for (const faxId of faxIds) {
    const rename = calls.find((c) => c.name.startsWith('rename') && new RegExp(`messages/${faxId}\\.eml\\.[0-9a-f]+\\.tmp.*messages/${faxId}\\.eml"`).test(c.args));
    assert.ok(rename, `no rename of ${faxId}'s message into place:\n${dump()}`);
    const fileSync = calls.find((c) => /^f(data)?sync$/.test(c.name) && new RegExp(`^\\d+</[^>]*messages/${faxId}\\.eml\\.[0-9a-f]+\\.tmp>`).test(c.args));
    assert.ok(fileSync && fileSync.end < rename.start, `${faxId}'s message was not fsynced before its rename:\n${dump()}`);
    const reply = calls.find((c) => /^writev?$/.test(c.name) && c.args.includes('<TCP') && c.args.includes(`250 2.0.0 Ok: queued as ${faxId}`));
    assert.ok(reply, `no 250 for ${faxId} in the trace:\n${dump()}`);
    const dirSync = calls.find((c) => /^f(data)?sync$/.test(c.name) && /^\d+<\/[^>]*\/messages>/.test(c.args) && c.start > rename.end && c.end < reply.start);
    assert.ok(dirSync, `no fsync of the messages directory between ${faxId}'s rename and its 250:\n${dump()}`);
  }
});

test('kill -9 of redis-server right after each 250: after the restart from the AOF the fax record and its render job are there, and the message file', async (t) => {
  const redis = await startRedis({ extraArgs: ['--appendfsync', 'always'] });
  t.after(() => redis.dispose());
  const ing = await startIngest(redis, 'faxgate-durable-kill');
  t.after(() => ing.dispose());
  const port = ing.gw.instanceOf(ingestRole).smtpPort();
  const queue = ing.gw.ctx.queues.queue(JOBS['render-fax'].queue);
  for (let n = 1; n <= 3; n++) {
    const faxId = await sendOne(port, n);
    await redis.kill9();
    await redis.start();
    const fax = await waitUntil(`the record of ${faxId} after the restart`, () => ing.gw.ctx.records.getFax(faxId), 10_000);
    assert.equal(fax.subject, `durable ${n}`);
    assert.equal(fax.state, 'queued');
    const job = await queue.getJob(jobId('render-fax', { faxId }));
    assert.ok(job, `render job of ${faxId} lost`);
    assert.equal(job.data.faxId, faxId);
    assert.equal(await job.getState(), 'waiting');
    const message = await ing.gw.ctx.blobs.get(fax.messageKey);
    assert.match(message.toString(), new RegExp(`Body of mail ${n}\\.`));
    await waitUntil('ingest\'s Redis connection back', () => ing.gw.ctx.requestRedis.status === 'ready', 10_000);
  }
});

// make run starts every role in one cold process: this test took 45-50 s at load ~20, and once
// the 60 s wait for ingest expired with the roles still loading, so it gets its own timeouts.
test('make run\'s own Redis (scripts/run-single-machine.sh) fsyncs before replying, and the ingest it starts says its 250 is durable', { timeout: 240_000 }, async (t) => {
  const dir = await tempDir('faxgate-durable-single');
  const redisPort = await freePort();
  const script = resolve(import.meta.dirname, '../../../scripts/run-single-machine.sh');
  const env = { PATH: process.env.PATH, FAXGATE_REDIS_URL: `redis://127.0.0.1:${redisPort}`, FAXGATE_DATA_DIR: dir.path, FAXGATE_QUEUE_PREFIX: `test-single-${redisPort}`, FAXGATE_SMTP_PORT: String(await freePort()), FAXGATE_HTTP_PORT: String(await freePort()), FAXGATE_HTTP_HOST: '127.0.0.1', FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_LOG_LEVEL: 'info', REDIS_MAXMEMORY: '64mb' };
  const run = spawn(script, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  run.stdout!.on('data', (d) => (output += String(d)));
  run.stderr!.on('data', (d) => (output += String(d)));
  const exited = new Promise((r) => run.once('exit', r));
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redisPort), ...args], { encoding: 'utf8' }).trim();
  t.after(async () => {
    if (run.exitCode === null && run.signalCode === null) run.kill('SIGTERM');
    await exited;
    // The script started redis-server as a daemon; it is this test's to stop.
    const pid = Number(await readFile(join(dir.path, 'redis', 'redis.pid'), 'utf8').catch(() => '0'));
    if (pid > 0) {
      process.kill(pid, 'SIGTERM');
      await waitUntil('the single-machine redis-server to exit', () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000);
    }
    await dir.remove();
  });
  const line = await waitUntil('ingest\'s durability line from make run', () => output.split('\n').find((l) => l.includes('"durableAccept"')), 150_000).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${output.slice(-4000)}`);
  });
  assert.equal(cli('CONFIG', 'GET', 'appendonly'), 'appendonly\nyes');
  assert.equal(cli('CONFIG', 'GET', 'appendfsync'), 'appendfsync\nalways');
  // Issue 19: a full Redis refuses writes (SMTP 451) instead of being OOM-killed.
  assert.equal(cli('CONFIG', 'GET', 'maxmemory'), `maxmemory\n${64 * 1024 * 1024}`, 'REDIS_MAXMEMORY=64mb');
  assert.equal(cli('CONFIG', 'GET', 'maxmemory-policy'), 'maxmemory-policy\nnoeviction');
  assert.equal(JSON.parse(line).durableAccept, true, line);
});
