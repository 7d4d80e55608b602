// N concurrent T.38 fax calls carried by one process (issue 11): two `sip` line drivers in this
// process, node A faxing a one-page fine letter to node B N times at once over SIP on
// 127.0.0.1; B answers and switches each call to T.38 at once (T.38 Annex D), so the process
// runs 2·N T.30 engines and UDPTL streams in real time plus the SIP signalling. A call counts
// when A's T.30 reports success and B received its page complete. Every T.30 timer that
// expired (the engine's own "timer T… expired" log line: T1/T2/T4 waits that ran out because a
// frame came late) is counted by name. Three repeats; the table gives each run and the
// min / median. Prints a table; asserts nothing.
// Run: node bench/sip-t38-loop.bench.ts   (SIP_T38_CALLS=100, SIP_T38_REPEATS=3 by default)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { tempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../services/node/src/sip-line-driver.ts';
import { makeTiff } from '../libs/t38/test/fax-peers.ts';

const calls = Number(process.env.SIP_T38_CALLS ?? 100);
const REPEATS = Number(process.env.SIP_T38_REPEATS ?? 3);

/** T.30 timer expiries and the media each call settled on, read from the drivers' debug log. */
const seen = { expiries: new Map<string, number>(), media: new Map<string, number>() };
const log = pino({ level: 'debug' }, {
  write(line: string) {
    const t = /timer (T\w+) expired/.exec(line);
    if (t) seen.expiries.set(t[1], (seen.expiries.get(t[1]) ?? 0) + 1);
    const m = /"media":"(\w+)","msg":"sip fax media"/.exec(line);
    if (m) seen.media.set(m[1], (seen.media.get(m[1]) ?? 0) + 1);
  },
});

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

interface Run { ok: number; received: number; wall: number; p99: number; max: number; cpu: number; expiries: string; t38: number; audio: number; why: string }

async function run(n: number, tag: string): Promise<Run> {
  received = 0;
  incomplete.clear();
  seen.expiries.clear();
  seen.media.clear();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => {
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
  const why = [
    ...new Set(outcomes.filter((o) => o.result !== 'success').map((o) => `A: ${o.result}: ${'reason' in o ? o.reason : ''}`)),
    ...[...incomplete].map(([k, v]) => `B ×${v}: ${k}`),
  ].join('; ');
  return {
    ok: outcomes.filter((o) => o.result === 'success').length, received, wall, p99: h.percentile(99) / 1e6, max: h.max / 1e6,
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
  const line = `| ${r + 1} | ${calls} | ${`${x.ok}/${calls}`.padStart(8)} | ${`${x.received}/${calls}`.padStart(8)} | ${x.t38} / ${x.audio} | ${x.expiries} | ${x.wall.toFixed(1)} | ${x.p99.toFixed(1)} | ${x.max.toFixed(1)} | ${x.cpu.toFixed(1)} |`;
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
process.stdout.write(`\n| run | concurrent calls | sent ok | received complete | call ends on T.38 / audio | T.30 timer expiries | wall s | loop delay p99 ms | max ms | CPU % of a core |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
process.stdout.write(`min / median: wall ${q((x) => x.wall)} s, loop delay p99 ${q((x) => x.p99)} ms, max ${q((x) => x.max)} ms, CPU ${q((x) => x.cpu)} % of a core\n`);
process.stdout.write(`(each call: node A → node B in this process over SIP + UDPTL on 127.0.0.1, 2 T.30 ends, a one-page fine letter, V.17 14400, ECM, redundancy 3; load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
