// Worst event-loop stall with N concurrent audio fax calls in one process (issue 13): two `sip`
// line drivers in this process, both pools configured `media: audio`, node A faxing a one-page
// fine letter to node B N times at once over SIP on 127.0.0.1 — every call is SIP signalling,
// an RTP line each way (paced sender, jitter buffer) and faxgate's own modems at both ends, so
// the process carries 2·N modem ends in real time, as a node with N audio calls to far-end
// terminals carries N. Each count runs SIP_AUDIO_REPEATS times (3), the counts interleaved so
// that a change in the shared machine's load spreads over all of them; the table gives the
// minimum and median of the rounds and the load average they ran under. Asserts nothing.
// Run: node bench/sip-audio-loop.bench.ts   (SIP_AUDIO_CALLS=10,25,50 by default)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { tempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../services/node/src/sip-line-driver.ts';
import { makeTiff } from '../libs/t38/test/fax-peers.ts';

const counts = (process.env.SIP_AUDIO_CALLS ?? '10,25,50').split(',').map(Number).filter((n) => n > 0);
const most = Math.max(...counts);
const repeats = Math.max(1, Number(process.env.SIP_AUDIO_REPEATS ?? 3));

function node(user: string, o: Partial<SipDriverOptions> = {}): SipLineDriver {
  return new SipLineDriver({
    sip: { bindHost: '127.0.0.1', bindPort: 0, user, domain: '127.0.0.1', media: 'audio' },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: most, callsPerSecond: 0, localId: '+1 555 0100', ecm: false, redundancy: 3, country: 'US',
    line: 'bench/sip', keepAliveMs: 0, log: pino({ level: 'silent' }), jitterBufferMs: 500, ...o,
  });
}

const dir = await tempDir('bench-sip-audio');
const document = new Uint8Array(readFileSync(makeTiff(dir.path, 'letter', 1, 196)));
const b = node('+15550000002');
let received = 0;
const stopB = await b.listen(async (_call, outcome) => {
  if (!outcome.partial && outcome.pages === 1) received++;
  return 'bench';
});
const a = node('+15550000001', { dialFormat: `sip:{e164}@127.0.0.1:${b.port}` });

/**
 * Loop turns measured on a 2 ms timer: how late each came (wall clock, which includes the time
 * the host did not run this process at all — a shared, loaded machine) and how much CPU the main
 * thread used meanwhile (a late turn with the main thread busy is our own blocking chunk; the
 * process's CPU would also count the page-coder worker and V8's GC threads).
 */
function stallMeter() {
  let running = true;
  /** The three longest busy turns, longest first: [ms, seconds from the start]. */
  const top: [number, number][] = [];
  const t0 = performance.now();
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    const cpu = process.threadCpuUsage(lastCpu);
    const late = now - last - 2;
    const busy = Math.min(late, (cpu.user + cpu.system) / 1000);
    if (top.length < 3 || busy > top[top.length - 1][0]) {
      top.push([busy, (now - t0) / 1000]);
      top.sort((x, y) => y[0] - x[0]);
      top.length = Math.min(top.length, 3);
    }
    last = now;
    lastCpu = process.threadCpuUsage();
    setTimeout(tick, 2);
  };
  setTimeout(tick, 2);
  return { stop: () => { running = false; return { worstCpu: top[0]?.[0] ?? 0, worstAt: top[0]?.[1] ?? 0, top }; } };
}

interface Round {
  n: number;
  ok: number;
  received: number;
  /** From the first INVITE to the last call's end, seconds. */
  wall: number;
  p99: number;
  max: number;
  busy: number;
  busyAt: number;
  /** The three longest busy turns, [ms, s]. */
  top: [number, number][];
  /** This process's CPU over `wall`, percent of one core. */
  cpuPct: number;
  load: number;
}

/** N calls at once; the figures cover the calls themselves (the hand-over wait comes after). */
async function round(n: number): Promise<Round & { why: string }> {
  received = 0;
  const load = loadavg()[0];
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  const meter = stallMeter();
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => {
    const ac = new AbortController();
    // Bounded: a call not over after 180 s is aborted (and counted as failed).
    const t = setTimeout(() => ac.abort(), 180_000);
    return a.send({ callId: `bench-${n}-${i}-${Math.random().toString(36).slice(2, 8)}`, number: '+15550000002', dialString: '15550000002', document, fromPage: 1, line: 'bench' }, ac.signal)
      .catch((err: Error) => ({ result: 'error', reason: err.message }))
      .finally(() => clearTimeout(t));
  }));
  h.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // B hands its fax over after A's call ended (its received TIFF made, the sink called): give it
  // a moment, within the busy-turn meter, since that work is part of the calls' end.
  await new Promise((r) => setTimeout(r, 2000));
  const chunk = meter.stop();
  const ok = outcomes.filter((o) => o.result === 'success').length;
  const why = [...new Set(outcomes.filter((o) => o.result !== 'success').map((o) => `${o.result}: ${'reason' in o ? o.reason : ''}`))].join('; ');
  return {
    n, ok, received, wall, why, load,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
    busy: chunk.worstCpu,
    busyAt: chunk.worstAt,
    top: chunk.top,
    cpuPct: (cpu.user + cpu.system) / 1000 / wall / 10,
  };
}

const warm = await round(1);
process.stdout.write(`warm-up call: ${warm.ok ? 'ok' : `failed (${warm.why})`}\n`);
const rounds: Round[] = [];
const f = (x: number, w = 6) => x.toFixed(1).padStart(w);
process.stdout.write('\n| round | calls | sent ok | recv ok | wall s | loop delay p99 ms | max ms | longest CPU-busy turn ms | CPU % of a core | per call | load avg |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
for (let r = 1; r <= repeats; r++) {
  for (const n of counts) {
    const x = await round(n);
    rounds.push(x);
    process.stdout.write(`| ${r} | ${String(n).padStart(5)} | ${`${x.ok}/${n}`.padStart(8)} | ${`${x.received}/${n}`.padStart(8)} | ${f(x.wall)} | ${f(x.p99)} | ${f(x.max)} | ${f(x.busy)} at ${f(x.busyAt, 4)} s | ${f(x.cpuPct)} | ${(x.cpuPct / n).toFixed(2)} | ${x.load.toFixed(1)} |${x.why ? `  (${x.why})` : ''}\n`);
    process.stderr.write(`  round ${r}, ${n} calls: longest busy turns ${x.top.map(([ms, at]) => `${ms.toFixed(1)} ms at ${at.toFixed(1)} s`).join(', ')}\n`);
  }
}
await stopB();
await a.stop();
await dir.remove();

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mm = (xs: number[], d = 1) => `${Math.min(...xs).toFixed(d)} / ${median(xs).toFixed(d)}`;
process.stdout.write(`\nSummary over ${repeats} rounds, min / median:\n\n| calls | sent ok | recv ok | loop delay p99 ms | max (longest stall) ms | longest CPU-busy turn ms | CPU % of a core | CPU % of a core per call | load avg |\n|---|---|---|---|---|---|---|---|---|\n`);
for (const n of counts) {
  const rs = rounds.filter((x) => x.n === n);
  const sum = (k: 'ok' | 'received') => `${rs.reduce((t, x) => t + x[k], 0)}/${n * rs.length}`;
  process.stdout.write(`| ${n} | ${sum('ok')} | ${sum('received')} | ${mm(rs.map((x) => x.p99))} | ${mm(rs.map((x) => x.max))} | ${mm(rs.map((x) => x.busy))} | ${mm(rs.map((x) => x.cpuPct))} | ${mm(rs.map((x) => x.cpuPct / n), 2)} | ${mm(rs.map((x) => x.load))} |\n`);
}
process.stdout.write('(each call: node A → node B in this process over SIP + G.711 RTP, 2 modem ends, a one-page fine letter, V.17 14400 (the best both ends offer), no ECM, 500 ms jitter buffers; loop delay from monitorEventLoopDelay at 1 ms resolution over the calls, including the host\'s own scheduling delays; the CPU-busy turn is the longest late turn during which the main thread was running, i.e. its own blocking chunk, over the calls and the 2 s after them in which the receiving node hands its faxes over; CPU per call covers both ends of a call; load avg is the 1-minute average when the round started)\n');
// After both drivers stopped, a MessagePort still holds the event loop (seen with
// process._getActiveHandles(); the page coder's worker itself is unref'd), so the bench would
// never end and `make bench` would wait for it forever.
process.exit(0);
