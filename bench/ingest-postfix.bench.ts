// Durable ingest against Postfix (issue 18): the same load of mails, each with a PDF attached,
// sent over C connections to
// - faxgate's ingest (`faxgate run ingest`, its own process) on a private redis-server with
//   appendfsync always: the 250 waits for the message file's fsync and for Redis's AOF fsync of
//   the record and the job (the durable setting, what make run and the chart configure);
// - the same with appendfsync everysec (the 250 before the AOF fsync: what it was before);
// - two ingest processes on one such Redis, the connections spread over them (as ingest pods
//   behind one Service);
// - Postfix installed from Debian, a throwaway instance on loopback (its own config, queue and
//   log under a temp directory) that accepts into its queue and holds the mail there (HOLD), so
//   nothing is relayed: its cleanup fsyncs the queue file before smtpd answers 250.
// The client is this process, one SMTP session per connection, each sending its share one mail
// after the other without PIPELINING; a mail's latency runs from MAIL FROM to the 250 after the
// dot. Figures: accepted mails/s (all mails / first MAIL to last 250) and the latency p50 / p99.
// Each repeat runs them in turn (the order rotated); best / median of the repeats and the
// machine load are printed. Prints a table; asserts nothing. Needs root (Postfix's master).
//   node bench/ingest-postfix.bench.ts [mails] [connections]     (default 1000 20)
//   INGEST_BENCH_REPEATS=3 INGEST_BENCH_KINDS=always (only the faxgate runs named, and Postfix)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, roleProcessEnv, SmtpSession, startRedis, startRoleProcess, tempDir } from '@faxgate/testkit';

const run = promisify(execFile);
const MAILS = Number(process.argv[2] ?? 1000);
const CONNECTIONS = Number(process.argv[3] ?? 20);
const REPEATS = Number(process.env.INGEST_BENCH_REPEATS ?? 3);

/** A one-page PDF with an incompressible 40 KB stream, so each mail is ~56 KB as base64. */
function pdf(): Buffer {
  const pad = randomBytes(40_000);
  const head = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n' + `4 0 obj << /Length ${pad.length} >> stream\n`);
  return Buffer.concat([head, pad, Buffer.from('\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')]);
}

function message(n: number, attachment: string): string {
  return [
    'From: Alice <alice@example.com>',
    `To: 1212555${String(n % 10_000).padStart(4, '0')}@fax.test`,
    `Subject: bench ${n}`,
    `Message-ID: <bench-${n}-${Date.now()}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Please fax the attached page.',
    '--b',
    'Content-Type: application/pdf; name="page.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment,
    '--b--',
    '',
  ].join('\r\n');
}

function expect(r: { code: number; text: string }, code: number): void {
  if (r.code !== code) throw new Error(`expected ${code}, got ${r.text}`);
}

async function openSession(port: number): Promise<SmtpSession> {
  const { session, greeting } = await SmtpSession.open(port);
  expect(greeting, 220);
  expect(await session.command('EHLO client.test'), 250);
  return session;
}

/** Sends one mail (already dot-stuffed) without PIPELINING; resolves with its latency in ms, MAIL FROM to the 250 after the dot. */
async function sendMail(s: SmtpSession, rcpt: string, body: Buffer): Promise<number> {
  const t0 = performance.now();
  expect(await s.command('MAIL FROM:<alice@example.com>'), 250);
  expect(await s.command(`RCPT TO:<${rcpt}>`), 250);
  expect(await s.command('DATA'), 354);
  s.socket.write(body);
  expect(await s.command('.', 60_000), 250);
  return performance.now() - t0;
}

interface Result {
  perS: number;
  p50: number;
  p99: number;
  /** CPU ms per mail of the ingest process (Postfix: all its processes) and of redis-server. */
  ingestCpuMs?: number;
  redisCpuMs?: number;
}

/** utime + stime of a process, in ms (proc(5): fields 14 and 15, in clock ticks of 10 ms). */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU of Postfix's master and every process it runs, reaped ones included (cutime, cstime), in ms. */
async function postfixCpuMs(masterPid: number): Promise<number> {
  const fields = async (pid: string) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
  };
  let ticks = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const f = await fields(pid);
    // proc(5): ppid is field 4, utime..cstime fields 14-17 (indexes 1 and 11-14 after the name).
    if (f && (Number(pid) === masterPid || Number(f[1]) === masterPid)) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks * 10;
}

async function redisCpuMs(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'cpu']);
  const v = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(stdout)?.[1] ?? 0);
  return (v('used_cpu_sys') + v('used_cpu_user') + v('used_cpu_sys_children') + v('used_cpu_user_children')) * 1000;
}

/**
 * The mails, encoded and dot-stuffed once: encoding 56 KB strings for every send made the client
 * itself cost as much CPU as the server it measured, on a machine of two cores.
 */
let encoded: Buffer[] = [];
function mails(attachment: string): Buffer[] {
  if (encoded.length !== MAILS) encoded = Array.from({ length: MAILS }, (_, n) => Buffer.from(message(n, attachment).replace(/^\./gm, '..')));
  return encoded;
}

async function load(ports: number[], attachment: string): Promise<Result> {
  const bodies = mails(attachment);
  const sessions = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => openSession(ports[i % ports.length])));
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(sessions.map(async (s) => {
    for (let n = next++; n < MAILS; n = next++) {
      const rcpt = `1212555${String(n % 10_000).padStart(4, '0')}@fax.test`;
      latencies.push(await sendMail(s, rcpt, bodies[n]));
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(sessions.map(async (s) => {
    await s.command('QUIT').catch(() => {});
    s.socket.destroy();
  }));
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { perS: MAILS / wall, p50: q(0.5), p99: q(0.99) };
}

async function faxgate(fsync: 'always' | 'everysec', attachment: string, processes = 1): Promise<Result> {
  const redis = await startRedis({ extraArgs: ['--appendfsync', fsync] });
  const dir = await tempDir('faxgate-ingest-bench');
  const ports: number[] = [];
  const procs: Awaited<ReturnType<typeof startRoleProcess>>[] = [];
  const prefix = `bench-${Date.now()}`;
  try {
    // Several ingest processes share the Redis, the data directory and the queue prefix, as
    // ingest pods behind one Service do; the connections are spread over them.
    for (let i = 0; i < processes; i++) {
      const smtpPort = await freePort();
      const p = await startRoleProcess(['ingest'], roleProcessEnv({ redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: 'smtp://127.0.0.1:9', smtpPort, prefix }, { FAXGATE_SMTP_CLIENT_NETWORKS: 'host' }));
      procs.push(p);
      ports.push(smtpPort);
      await p.ready(60_000);
    }
    await load(ports, attachment).then(() => undefined).catch(() => undefined); // warm-up: JIT, Redis scripts, first files
    const cpu = async () => (await Promise.all(procs.map((p) => processCpuMs(p.child.pid!)))).reduce((a, b) => a + b, 0);
    const [c0, r0] = [await cpu(), await redisCpuMs(redis.port)];
    const res = await load(ports, attachment);
    const [c1, r1] = [await cpu(), await redisCpuMs(redis.port)];
    return { ...res, ingestCpuMs: (c1 - c0) / MAILS, redisCpuMs: (r1 - r0) / MAILS };
  } finally {
    for (const p of procs) await p.stop();
    await redis.dispose();
    await dir.remove();
  }
}

/** A throwaway Postfix on loopback that accepts mail for fax.test into its queue and holds it there. */
async function postfix(attachment: string): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-bench-postfix-'));
  await chmod(dir, 0o755);
  const configDir = join(dir, 'etc');
  const data = join(dir, 'data');
  await mkdir(configDir, { recursive: true });
  await mkdir(join(dir, 'spool'), { recursive: true });
  await mkdir(data, { recursive: true });
  const { stdout: uid } = await run('id', ['-u', 'postfix']);
  await chown(data, Number(uid.trim()), 0);
  const port = await freePort();
  await writeFile(join(configDir, 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${join(dir, 'spool')}`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = postfix.test',
    'mydomain = test',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'relay_domains = fax.test',
    'mynetworks = 127.0.0.0/8',
    'alias_maps =',
    'alias_database =',
    // Accepted and fsynced into the queue like any mail, then held: nothing leaves.
    'smtpd_recipient_restrictions = permit_mynetworks, reject',
    'smtpd_end_of_data_restrictions = check_client_access static:HOLD',
    `maillog_file = ${join(dir, 'maillog')}`,
    `maillog_file_prefixes = ${dir}`,
    '',
  ].join('\n'));
  const master = (await readFile('/etc/postfix/master.cf', 'utf8'))
    .split('\n')
    .map((l) => {
      const f = l.split(/\s+/);
      if (!(/^[a-z0-9]/.test(l) && f.length >= 8 && /^(unix|unix-dgram|inet|fifo|pass)$/.test(f[1]))) return l;
      // The queue has no chroot tree; smtpd listens on the bench's port instead of 25.
      return [f[0] === 'smtp' && f[1] === 'inet' ? `127.0.0.1:${port}` : f[0], ...f.slice(1, 4), 'n', ...f.slice(5)].join(' ');
    })
    .join('\n');
  await writeFile(join(configDir, 'master.cf'), master);
  await run('postfix', ['-c', configDir, 'check']);
  const child: ChildProcess = spawn('postfix', ['-c', configDir, 'start-fg'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const deadline = Date.now() + 30_000;
    while (!/daemon started/.test(await readFile(join(dir, 'maillog'), 'utf8').catch(() => ''))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Postfix did not start:\n${await readFile(join(dir, 'maillog'), 'utf8').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await load([port], attachment).then(() => undefined).catch(() => undefined);
    const master = Number((await readFile(join(dir, 'spool', 'pid', 'master.pid'), 'utf8')).trim());
    const c0 = await postfixCpuMs(master);
    const r = await load([port], attachment);
    // Idle smtpd processes stay for max_idle; what they used so far is counted live.
    r.ingestCpuMs = ((await postfixCpuMs(master)) - c0) / MAILS;
    const held = (await readdir(join(dir, 'spool', 'hold'), { recursive: true })).length;
    if (held < 2 * MAILS) throw new Error(`Postfix holds ${held} mails, expected ${2 * MAILS}`);
    return r;
  } finally {
    await run('postfix', ['-c', configDir, 'stop']).catch(() => {});
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

if (userInfo().uid !== 0) {
  console.log('ingest-postfix: skipped, a Postfix instance needs root');
  process.exit(0);
}
const attachment = pdf().toString('base64').replace(/.{76}/g, '$&\r\n');
const allKinds = ['faxgate, appendfsync always', 'faxgate, appendfsync everysec', 'faxgate ×2 processes, appendfsync always', 'Postfix 3.7'] as const;
// INGEST_BENCH_KINDS=always,postfix: only those (matched against the names); Postfix is the anchor of the ratios.
const only = (process.env.INGEST_BENCH_KINDS ?? '').split(',').filter(Boolean);
const kinds = allKinds.filter((k) => k === 'Postfix 3.7' || only.length === 0 || only.some((o) => k.toLowerCase().includes(o.toLowerCase())));
const runners: Record<(typeof allKinds)[number], () => Promise<Result>> = {
  'faxgate, appendfsync always': () => faxgate('always', attachment),
  'faxgate, appendfsync everysec': () => faxgate('everysec', attachment),
  'faxgate ×2 processes, appendfsync always': () => faxgate('always', attachment, 2),
  'Postfix 3.7': () => postfix(attachment),
};
const results = new Map<string, Result[]>(kinds.map((k) => [k, []]));
const load0 = loadavg();
for (let r = 0; r < REPEATS; r++) {
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[(i + r) % kinds.length];
    const res = await runners[k]();
    results.get(k)!.push(res);
    const cpu = res.ingestCpuMs === undefined ? '' : `, CPU per mail: ${res.redisCpuMs === undefined ? 'Postfix' : 'ingest'} ${res.ingestCpuMs.toFixed(2)} ms${res.redisCpuMs === undefined ? '' : `, redis-server ${res.redisCpuMs.toFixed(2)} ms`}`;
    process.stdout.write(`  repeat ${r + 1} ${k}: ${res.perS.toFixed(0)} mails/s, p50 ${res.p50.toFixed(1)} ms, p99 ${res.p99.toFixed(1)} ms${cpu}\n`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (xs: number[], best: (...v: number[]) => number, d: number) => `${best(...xs).toFixed(d)} / ${median(xs).toFixed(d)}`;
const pf = results.get('Postfix 3.7')!;
process.stdout.write(`\n${MAILS} mails of ~${Math.round(message(0, attachment).length / 1024)} KB (a PDF attached) over ${CONNECTIONS} connections\n`);
process.stdout.write('| server | mails/s (best / median) | × Postfix (median of pairs) | p50 ms | p99 ms | p99 ÷ Postfix (median of pairs) | CPU ms per mail: server / redis-server (median) |\n|---|---|---|---|---|---|---|\n');
for (const k of kinds) {
  const xs = results.get(k)!;
  const ratio = median(xs.map((x, i) => x.perS / pf[i].perS));
  const p99r = median(xs.map((x, i) => x.p99 / pf[i].p99));
  const cpu = `${median(xs.map((x) => x.ingestCpuMs!)).toFixed(2)} / ${xs[0].redisCpuMs === undefined ? '–' : median(xs.map((x) => x.redisCpuMs!)).toFixed(2)}`;
  process.stdout.write(`| ${k} | ${fmt(xs.map((x) => x.perS), Math.max, 0)} | ${ratio.toFixed(2)} | ${fmt(xs.map((x) => x.p50), Math.min, 1)} | ${fmt(xs.map((x) => x.p99), Math.min, 1)} | ${p99r.toFixed(2)} | ${cpu} |\n`);
}
process.stdout.write(`(best / median of ${REPEATS} repeat(s), each after a warm-up load of the same size; load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
process.exit(0);
