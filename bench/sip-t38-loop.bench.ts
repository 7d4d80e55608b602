// N concurrent T.38 fax calls carried by one process (issue 11): two `sip` line drivers in this
// process, node A faxing a one-page fine letter to node B N times at once over SIP on
// 127.0.0.1; B answers and switches each call to T.38 at once (T.38 Annex D), so the process
// runs 2·N T.30 engines and UDPTL streams in real time plus the SIP signalling. A call counts
// when A's T.30 reports success and B received its page complete. Every T.30 timer that
// expired (the engine's own "timer T… expired" log line: T1/T2/T4 waits that ran out because a
// frame came late) is counted by name. Three repeats; the table gives each run and the
// min / median. Prints a table; asserts nothing.
// Run: node bench/sip-t38-loop.bench.ts   (SIP_T38_CALLS=100, SIP_T38_REPEATS=3 by default;
// SIP_T38_START_MS=1000 starts the calls evenly over that many ms instead of at one instant)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { tempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../services/node/src/sip-line-driver.ts';
import { makeTiff } from '../libs/t38/test/fax-peers.ts';

const calls = Number(process.env.SIP_T38_CALLS ?? 100);
const REPEATS = Number(process.env.SIP_T38_REPEATS ?? 3);
const START_MS = Number(process.env.SIP_T38_START_MS ?? 0);

/**
 * T.30 timer expiries and the media each call settled on, read from the drivers' debug log. The
 * lines are inspected as the drivers call the logger and never formatted: with 1,000 calls,
 * writing every T.30 line as JSON and parsing it again cost the event loop more than the T.30
 * engines did (a node runs at level info, where debug calls return at once).
 */
const seen = { expiries: new Map<string, number>(), media: new Map<string, number>(), notes: new Map<string, number>() };
/** Lines worth a note beside a run's row: warnings, errors, and calls B answered or ended without a fax. */
const NOTED = new Set(['sip call answered', 'sip call ended without a fax']);
const log = pino({
  level: 'debug',
  hooks: {
    logMethod(args, _method, level) {
      const [first, second] = args as unknown[];
      const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
      const t = /timer (T\w+) expired/.exec(msg);
      if (t) seen.expiries.set(t[1], (seen.expiries.get(t[1]) ?? 0) + 1);
      if (msg === 'sip fax media' && typeof first === 'object' && first) {
        const m = String((first as { media?: unknown }).media);
        seen.media.set(m, (seen.media.get(m) ?? 0) + 1);
      }
      if (level >= 40 || NOTED.has(msg)) seen.notes.set(msg, (seen.notes.get(msg) ?? 0) + 1);
    },
  },
}, { write() {} });

function node(user: string, o: Partial<SipDriverOptions> = {}): SipLineDriver {
  return new SipLineDriver({
    sip: { bindHost: '127.0.0.1', bindPort: 0, user, domain: '127.0.0.1', media: 't38' },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: calls, callsPerSecond: 0, localId: '+1 555 0100', ecm: true, redundancy: 3, country: 'US',
    line: 'bench/sip', keepAliveMs: 0, log, ...o,
  });
}

const dir = await tempDir('bench-sip-t38');
const document = new Uint8Array(readFileSync(makeTiff(dir.path, 'letter', 1, 196)));
const b = node('+15550000002');
let received = 0;
/** B's faxes that were not complete, by reason. */
const incomplete = new Map<string, number>();
const stopB = await b.listen(async (_call, outcome) => {
  if (!outcome.partial && outcome.pages === 1) received++;
  else {
    const why = `${outcome.pages} page(s), ${outcome.reason ?? 'partial'}`;
    incomplete.set(why, (incomplete.get(why) ?? 0) + 1);
  }
  return 'bench';
});
const a = node('+15550000001', { dialFormat: `sip:{e164}@127.0.0.1:${b.port}` });

/** Datagrams the kernel dropped for a full socket receive buffer, machine-wide (Linux). */
function udpDrops(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [head, vals] = lines.map((l) => l.split(/\s+/));
    return Number(vals[head.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}

/**
 * Loop turns on a 2 ms timer: how late each came and how much CPU the main thread used
 * meanwhile. A late turn counts as busy only for the main thread's own CPU in it, so the host
 * not running this process at all (a shared, loaded machine) is told apart from our own
 * blocking chunks (as bench/sip-audio-loop measures them).
 */
function busyMeter() {
  let running = true;
  const t0 = performance.now();
  let worst = { ms: 0, at: 0 };
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    const cpu = process.threadCpuUsage(lastCpu);
    const busy = Math.min(now - last - 2, (cpu.user + cpu.system) / 1000);
    if (busy > worst.ms) worst = { ms: busy, at: (now - t0) / 1000 };
    last = now;
    lastCpu = process.threadCpuUsage();
    setTimeout(tick, 2);
  };
  setTimeout(tick, 2);
  return () => {
    running = false;
    return worst;
  };
}

/** Datagrams the kernel dropped at the two SIP sockets (A's and B's) for a full receive buffer. */
function sipDrops(ports: number[]): number {
  try {
    let n = 0;
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 12 && ports.includes(parseInt(f[1].split(':')[1], 16))) n += Number(f[f.length - 1]);
    }
    return n;
  } catch {
    return NaN;
  }
}

interface Run { ok: number; received: number; wall: number; p99: number; max: number; busy: number; busyAt: number; cpu: number; expiries: string; t38: number; audio: number; why: string; load: number }

async function run(n: number, tag: string): Promise<Run> {
  received = 0;
  incomplete.clear();
  seen.expiries.clear();
  seen.media.clear();
  seen.notes.clear();
  const drops0 = udpDrops();
  const sipDrops0 = sipDrops([a.port, b.port]);
  const load = loadavg()[0];
  const meter = busyMeter();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  const outcomes = await Promise.all(Array.from({ length: n }, async (_, i) => {
    if (START_MS > 0 && n > 1) await new Promise((r) => setTimeout(r, (i * START_MS) / n));
    const ac = new AbortController();
    // Bounded: a call not over after 180 s is aborted (and counted as failed).
    const t = setTimeout(() => ac.abort(), 180_000);
    return a.send({ callId: `${tag}-${i}`, number: '+15550000002', dialString: '15550000002', document, fromPage: 1, line: 'bench' }, ac.signal)
      .catch((err: Error) => ({ result: 'error', reason: err.message }))
      .finally(() => clearTimeout(t));
  }));
  h.disable();
  const wall = (performance.now() - t0) / 1000;
  // B hands its fax over after A's call ended: wait (bounded) for the last one.
  for (const end = Date.now() + 10_000; received < n && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
  const cpu = process.cpuUsage(cpu0);
  const busy = meter();
  const why = [
    ...new Set(outcomes.filter((o) => o.result !== 'success').map((o) => `A: ${o.result}: ${'reason' in o ? o.reason : ''}`)),
    ...[...incomplete].map(([k, v]) => `B ×${v}: ${k}`),
    ...[...seen.notes].map(([k, v]) => `log ×${v}: ${k}`),
    `UDP datagrams dropped on full receive buffers: ${udpDrops() - drops0} on the whole machine, ${sipDrops([a.port, b.port]) - sipDrops0} of them at the SIP sockets`,
  ].join('; ');
  return {
    ok: outcomes.filter((o) => o.result === 'success').length, received, wall, p99: h.percentile(99) / 1e6, max: h.max / 1e6, busy: busy.ms, busyAt: busy.at, load,
    cpu: (cpu.user + cpu.system) / 1000 / wall / 10,
    expiries: [...seen.expiries].map(([k, v]) => `${k}×${v}`).join(' ') || 'none', t38: seen.media.get('t38') ?? 0, audio: seen.media.get('audio') ?? 0, why,
  };
}

process.stdout.write(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores shared with other work)\n`);
const warm = await run(1, 'warm-up');
process.stdout.write(`warm-up call: ${warm.ok ? 'ok' : `failed (${warm.why})`}\n`);
const runs: Run[] = [];
const rows: string[] = [];
for (let r = 0; r < REPEATS; r++) {
  const x = await run(calls, `run${r}`);
  runs.push(x);
  const line = `| ${r + 1} | ${calls} | ${`${x.ok}/${calls}`.padStart(8)} | ${`${x.received}/${calls}`.padStart(8)} | ${x.t38} / ${x.audio} | ${x.expiries} | ${x.wall.toFixed(1)} | ${x.p99.toFixed(1)} | ${x.max.toFixed(1)} | ${x.busy.toFixed(1)} at ${x.busyAt.toFixed(1)} s | ${x.cpu.toFixed(1)} | ${x.load.toFixed(1)} |`;
  rows.push(line);
  process.stdout.write(`${line}${x.why ? `  (${x.why})` : ''}\n`);
}
await stopB();
await a.stop();
await dir.remove();
const q = (f: (x: Run) => number) => {
  const s = runs.map(f).sort((x, y) => x - y);
  return `${s[0].toFixed(1)} / ${s[Math.floor(s.length / 2)].toFixed(1)}`;
};
process.stdout.write(`\n| run | concurrent calls | sent ok | received complete | call ends on T.38 / audio | T.30 timer expiries | wall s | loop delay p99 ms | max ms | longest CPU-busy turn ms | CPU % of a core | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
process.stdout.write(`min / median: wall ${q((x) => x.wall)} s, loop delay p99 ${q((x) => x.p99)} ms, max ${q((x) => x.max)} ms, longest CPU-busy turn ${q((x) => x.busy)} ms, CPU ${q((x) => x.cpu)} % of a core\n`);
process.stdout.write(`(${START_MS > 0 ? `calls started evenly over ${START_MS} ms` : 'all calls started at one instant'}; each call: node A → node B in this process over SIP + UDPTL on 127.0.0.1, 2 T.30 ends, a one-page fine letter, V.17 14400, ECM, redundancy 3; loop delay from monitorEventLoopDelay at 1 ms resolution, including the host's own scheduling delays; the CPU-busy turn is the longest late turn of a 2 ms timer during which the main thread was running, i.e. its own blocking chunk; load avg is the 1-minute average when the run started; load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
// The page coder's worker thread holds a MessagePort that keeps the process alive after both
// drivers stopped; a bench that never exits would hang make bench.
process.exit(0);
