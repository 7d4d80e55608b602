// Worst event-loop stall with N concurrent audio fax calls in one process (issue 13): two `sip`
// line drivers in this process, both pools configured `media: audio`, node A faxing a one-page
// fine letter to node B N times at once over SIP on 127.0.0.1 — every call is SIP signalling,
// an RTP line each way (paced sender, jitter buffer) and faxgate's own modems at both ends, so
// the process carries 2·N modem ends in real time, as a node with N audio calls to far-end
// terminals carries N. Prints a table; asserts nothing.
// Run: node bench/sip-audio-loop.bench.ts   (SIP_AUDIO_CALLS=1,10,25 by default)
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { tempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../services/node/src/sip-line-driver.ts';
import { makeTiff } from '../libs/t38/test/fax-peers.ts';

const counts = (process.env.SIP_AUDIO_CALLS ?? '1,10,25').split(',').map(Number).filter((n) => n > 0);
const most = Math.max(...counts);

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
 * the host did not run this process at all — a shared, loaded machine) and how much CPU this
 * process used meanwhile (a late turn with the CPU busy is our own blocking chunk).
 */
function stallMeter() {
  let worstCpu = 0, worstAt = 0, running = true;
  const t0 = performance.now();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const tick = () => {
    if (!running) return;
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const late = now - last - 2;
    const busy = Math.min(late, (cpu.user + cpu.system) / 1000);
    if (busy > worstCpu) {
      worstCpu = busy;
      worstAt = (now - t0) / 1000;
    }
    last = now;
    lastCpu = process.cpuUsage();
    setTimeout(tick, 2);
  };
  setTimeout(tick, 2);
  return { stop: () => { running = false; return { worstCpu, worstAt }; } };
}

const rows: string[] = [];
for (const n of [1, ...counts]) {
  const warmUp = rows.length === 0 && n === 1;
  received = 0;
  const h = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  h.enable();
  const meter = stallMeter();
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => {
    const ac = new AbortController();
    // Bounded: a call not over after 120 s is aborted (and counted as failed).
    const t = setTimeout(() => ac.abort(), 120_000);
    return a.send({ callId: `bench-${n}-${i}`, number: '+15550000002', dialString: '15550000002', document, fromPage: 1, line: 'bench' }, ac.signal)
      .catch((err: Error) => ({ result: 'error', reason: err.message }))
      .finally(() => clearTimeout(t));
  }));
  h.disable();
  const chunk = meter.stop();
  // B hands its fax over after A's call ended: give it a moment.
  await new Promise((r) => setTimeout(r, 2000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ok = outcomes.filter((o) => o.result === 'success').length;
  const why = [...new Set(outcomes.filter((o) => o.result !== 'success').map((o) => `${o.result}: ${'reason' in o ? o.reason : ''}`))].join('; ');
  if (warmUp) {
    process.stdout.write(`warm-up call: ${ok ? 'ok' : `failed (${why})`}\n`);
    rows.push('');
    continue;
  }
  const line = `| ${String(n).padStart(5)} | ${`${ok}/${n}`.padStart(8)} | ${`${received}/${n}`.padStart(8)} | ${wall.toFixed(1).padStart(6)} | ${(h.percentile(50) / 1e6).toFixed(1).padStart(7)} | ${(h.percentile(99) / 1e6).toFixed(1).padStart(6)} | ${(h.max / 1e6).toFixed(1).padStart(6)} | ${chunk.worstCpu.toFixed(1).padStart(6)} at ${chunk.worstAt.toFixed(1).padStart(4)} s | ${(((cpu.user + cpu.system) / 1000 / wall) / 10).toFixed(1).padStart(12)} |`;
  rows.push(line);
  process.stdout.write(`${line}${why ? `  (${why})` : ''}\n`);
}
await stopB();
await a.stop();
await dir.remove();
process.stdout.write(`\n| calls | sent ok | recv ok | wall s | loop delay p50 ms | p99 ms | max ms | longest CPU-busy turn ms | CPU % of a core |\n|---|---|---|---|---|---|---|---|---|\n${rows.filter(Boolean).join('\n')}\n`);
process.stdout.write('(each call: node A → node B in this process over SIP + G.711 RTP, 2 modem ends, a one-page fine letter, V.29 9600, no ECM, 500 ms jitter buffers; loop delay from monitorEventLoopDelay at 1 ms resolution, including the host\'s own scheduling delays; the CPU-busy turn is the longest late turn during which this process was running, i.e. its own blocking chunk)\n');
