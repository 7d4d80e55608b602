// Lines kept busy (issue 14's benchmark, issue 18's "1,000 lines kept busy"): N single-page
// faxes to N distinct numbers queued at once on a gateway (dispatch + node, in this process)
// with L simulated lines, on a private redis-server. The faxes are handed over through the
// queue contract as render leaves them (records in state rendered, one TIFF per recipient,
// one schedule-recipient job each), so rendering and SMTP cost nothing here: what is measured
// is dispatch and the node keeping the lines busy. The notifier is not run (result-mail jobs
// pile up in the notify queue; the bench counts them to know when every fax has ended).
// Figures, from the attempt records the node writes (startedAt/endedAt/line/durationMs):
// - line utilisation while work waits: busy line-seconds / (L × time from queueing to the last
//   call's start), i.e. ramp-up included; and the same from the first call's start
// - line free → next call started on that line: p50 / p99 / max
// - each call's wall time against its nominal time (the sim's durationMs × time scale)
// - queueing → every line busy once (the L-th call's start: the ramp)
// - calls/s (N over queueing → last call ended), Redis commands per fax (INFO commandstats,
//   from queueing to the end; the bench's own polling, a few commands every 500 ms, included)
// - on stderr with each run: Redis commands per fax by command, redis-server socket reads and
//   KB received per fax, the gateway's CPU ms per fax
// Repeats with min / median and the machine load. Prints a table; asserts nothing.
//   node bench/lines-busy.bench.ts [faxes] [lines] [timeScale]     (default 2000 200 0.1)
//   LINES_BUSY_REPEATS=3 LINES_BUSY_NODES=1 (nodes: the lines split over that many node roles,
//   all in this process); FAXGATE_* variables set here are passed to the gateway
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startTestGateway, textPage } from '@faxgate/testkit';
import { newFaxId } from '@faxgate/queue';
import { writeTiff } from '@faxgate/fax-image';
import { blobKeys, type AttemptRecord } from '@faxgate/store';
import { nodeRole, simPrintedKey } from '@faxgate/node';
import { dispatchRole } from '@faxgate/dispatch';

const FAXES = Number(process.argv[2] ?? 2000);
const LINES = Number(process.argv[3] ?? 200);
const SCALE = Number(process.argv[4] ?? 0.1);
const REPEATS = Number(process.env.LINES_BUSY_REPEATS ?? 3);
const NODES = Number(process.env.LINES_BUSY_NODES ?? 1);

/** Calls per Redis command (INFO commandstats); EVALSHA counts each script run once. */
async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/**
 * redis-server's socket reads and bytes received (INFO stats), printed per fax in each run's
 * line on stderr. Reads count client writes as the server met them (a pipelined batch, or
 * several clients' commands that arrived together, is one read), so they fall as the load
 * rises; bytes show what scripts sent whole (EVAL, not EVALSHA) cost on the wire.
 */
async function redisTraffic(redis: Redis): Promise<{ reads: number; bytesIn: number }> {
  const info = await redis.info('stats');
  const num = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? NaN);
  return { reads: num('total_reads_processed'), bytesIn: num('total_net_input_bytes') };
}

/** Seconds of CPU redis-server has used (main thread and children). */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return ['used_cpu_sys', 'used_cpu_user'].reduce((n, k) => n + Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0), 0);
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs: number[]) => quantile(xs, 0.5);

interface Run {
  utilQueued: number;
  utilFirst: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  stretchP50: number;
  stretchP99: number;
  nominalMs: number;
  callsPerS: number;
  cmdsPerFax: number;
  /** redis-server socket reads and KB received per fax (redisTraffic), and the gateway's CPU ms per fax. */
  readsPerFax: number;
  kbInPerFax: number;
  cpuMsPerFax: number;
  firstStartMs: number;
  /** Queueing → the L-th call started (every line busy once): the ramp that "from queueing" pays. */
  allLinesMs: number;
  wallS: number;
  cpuPct: number;
  redisCpuPct: number;
  ended: number;
  loopP99Ms: number;
  loopMaxMs: number;
  printedOnce: number;
  printedTwice: number;
  /** Median of the samples: call jobs waiting for a node, dispatch jobs waiting for dispatch. */
  queuedCalls: number;
  queuedDispatch: number;
  /** Redis commands per fax by command, the most frequent first. */
  byCommand: string;
}

async function run(label: string): Promise<Run> {
  const perNode = Math.ceil(LINES / NODES);
  // FAXGATE_* variables of this process reach the gateway, for experiments such as
  // FAXGATE_DISPATCH_CONCURRENCY=50.
  const passed = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('FAXGATE_') && v !== undefined)) as Record<string, string>;
  const env = { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_NODE_DRIVER: 'sim', FAXGATE_NODE_LINES: String(perNode), FAXGATE_SIM_TIME_SCALE: String(SCALE), FAXGATE_LOG_LEVEL: 'warn', ...passed };
  const extraNodes: RunningGateway[] = [];
  const h = await startTestGateway((e) => runRoles([dispatchRole, nodeRole], { env: { ...e, FAXGATE_NODE_ID: 'bench-node-1' } }), { label, env });
  const probe = new Redis(h.redis.url);
  try {
    for (let i = 2; i <= NODES; i++) extraNodes.push(await runRoles([nodeRole], { env: { ...h.env, FAXGATE_NODE_ID: `bench-node-${i}` } }));
    const { records, blobs, queues } = h.gw.ctx;
    const tiff = writeTiff([{ bitmap: textPage(1728, 400, 1), xDpi: 204, yDpi: 98 }], { compression: 'mmr' });
    const ids: string[] = [];
    // As render leaves a fax: message, the recipient's document, records in state rendered.
    for (let i = 0; i < FAXES; i++) {
      const id = newFaxId();
      const number = `+1212${String(5_000_000 + i).padStart(7, '0')}`;
      const message = `From: bench@example.com\r\nTo: ${number.slice(1)}@fax.test\r\nSubject: lines busy ${i}\r\n\r\nx\r\n`;
      await blobs.put(blobKeys.message(id), message);
      const key = blobKeys.recipientDocument(id, 0);
      await blobs.put(key, tiff);
      await records.create(
        { id, state: 'rendered', createdAt: new Date().toISOString(), sender: 'bench@example.com', subject: `lines busy ${i}`, messageKey: blobKeys.message(id), messageBytes: message.length, recipientCount: 1, senderTrust: 'client-network', documentPages: 1 },
        [{ index: 0, address: `${number.slice(1)}@fax.test`, number, dialString: number.slice(2), state: 'waiting', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0, documentKey: key, pagesTotal: 1 }],
      );
      ids.push(id);
    }
    const notify = queues.queue('notify');
    // Where work waits, sampled with the progress poll: call jobs not yet taken by a node (the
    // nodes are the limit when they pile up) and dispatch jobs not yet taken (dispatch is).
    const callsQueue = queues.queue('calls', h.env.FAXGATE_NODE_POOL ?? 'sim');
    const dispatchQueue = queues.queue('dispatch');
    const queuedCalls: number[] = [];
    const queuedDispatch: number[] = [];
    const before = await commandCounts(probe);
    const rcpu0 = await redisCpu(probe);
    const traffic0 = await redisTraffic(probe);
    const cpu0 = process.cpuUsage();
    // The gateway's event loop (dispatch, node and the simulated lines share it): a late timer
    // stretches the simulated calls.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = Date.now();
    for (let i = 0; i < ids.length; i += 1000) await queues.addBulk(ids.slice(i, i + 1000).map((faxId) => ({ name: 'schedule-recipient' as const, data: { faxId, recipient: 0 } })));
    const deadline = Date.now() + Math.max(600_000, FAXES * 20);
    for (;;) {
      const c = await notify.getJobCounts('waiting', 'prioritized', 'delayed');
      if (c.waiting + c.prioritized + c.delayed >= FAXES) break;
      const [cq, dq] = await Promise.all([callsQueue.getJobCounts('waiting', 'prioritized'), dispatchQueue.getJobCounts('waiting', 'prioritized')]);
      queuedCalls.push(cq.waiting + cq.prioritized);
      queuedDispatch.push(dq.waiting + dq.prioritized);
      if (Date.now() > deadline) throw new Error(`${label}: only ${JSON.stringify(c)} result-mail jobs of ${FAXES} after ${(Date.now() - t0) / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const wallS = (Date.now() - t0) / 1000;
    loop.disable();
    const cpu = process.cpuUsage(cpu0);
    const after = await commandCounts(probe);
    const perFax = [...after].map(([c, n]) => [c, (n - (before.get(c) ?? 0)) / FAXES] as const).sort((a, b) => b[1] - a[1]);
    const rcpu = (await redisCpu(probe)) - rcpu0;
    const traffic = await redisTraffic(probe);
    const attempts: AttemptRecord[] = [];
    // No fax lost or doubled: the simulated remote's paper has each fax's page once.
    let printedOnce = 0;
    let printedTwice = 0;
    for (const id of ids) {
      const [a, paper] = await Promise.all([records.getAttempt(id, 0, 1), probe.hget(simPrintedKey(h.env.FAXGATE_QUEUE_PREFIX, `${id}-r0-a1`), '1')]);
      if (a?.startedAt && a.endedAt) attempts.push(a);
      if (Number(paper) === 1) printedOnce++;
      else if (Number(paper) > 1) printedTwice++;
    }
    const calls = attempts.map((a) => ({ start: Date.parse(a.startedAt), end: Date.parse(a.endedAt!), line: `${a.line}`, nominal: (a.durationMs ?? 0) * SCALE, ok: a.result === 'success' }));
    const firstStart = Math.min(...calls.map((c) => c.start));
    const lastStart = Math.max(...calls.map((c) => c.start));
    const lastEnd = Math.max(...calls.map((c) => c.end));
    // Busy line time while work waited: each call's overlap with [from, lastStart].
    const util = (from: number) => calls.reduce((n, c) => n + Math.max(0, Math.min(c.end, lastStart) - Math.max(c.start, from)), 0) / (LINES * (lastStart - from));
    const byLine = new Map<string, typeof calls>();
    for (const c of calls) byLine.set(c.line, [...(byLine.get(c.line) ?? []), c]);
    const gaps: number[] = [];
    for (const cs of byLine.values()) {
      cs.sort((a, b) => a.start - b.start);
      for (let i = 1; i < cs.length; i++) gaps.push(cs[i].start - cs[i - 1].end);
    }
    const stretch = calls.filter((c) => c.ok && c.nominal > 0).map((c) => (c.end - c.start) / c.nominal);
    return {
      utilQueued: util(t0),
      utilFirst: util(firstStart),
      gapP50: quantile(gaps, 0.5),
      gapP99: quantile(gaps, 0.99),
      gapMax: Math.max(...gaps),
      stretchP50: quantile(stretch, 0.5),
      stretchP99: quantile(stretch, 0.99),
      nominalMs: median(calls.map((c) => c.nominal)),
      callsPerS: calls.length / ((lastEnd - t0) / 1000),
      cmdsPerFax: perFax.reduce((n, [, c]) => n + c, 0),
      readsPerFax: (traffic.reads - traffic0.reads) / FAXES,
      kbInPerFax: (traffic.bytesIn - traffic0.bytesIn) / 1024 / FAXES,
      cpuMsPerFax: (cpu.user + cpu.system) / 1000 / FAXES,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      printedOnce,
      printedTwice,
      queuedCalls: median(queuedCalls),
      queuedDispatch: median(queuedDispatch),
      byCommand: perFax.filter(([, n]) => n >= 0.05).map(([c, n]) => `${c} ${n.toFixed(1)}`).join(', '),
      firstStartMs: firstStart - t0,
      allLinesMs: (calls.map((c) => c.start).sort((a, b) => a - b)[Math.min(LINES, calls.length) - 1] ?? NaN) - t0,
      wallS,
      cpuPct: ((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100,
      redisCpuPct: (rcpu / wallS) * 100,
      ended: calls.length,
    };
  } finally {
    probe.disconnect();
    for (const n of extraNodes) await n.stop();
    await h.dispose();
  }
}

const load0 = loadavg();
const runs: Run[] = [];
for (let r = 0; r < REPEATS; r++) {
  runs.push(await run(`faxgate-bench-lines-${r}`));
  process.stderr.write(`run ${r + 1}/${REPEATS}: ${JSON.stringify(runs[runs.length - 1])}\n`);
}
const fmt = (f: (x: Run) => number, d = 1, hi = false) => {
  const xs = runs.map(f);
  // "min" is the best run: the highest for utilisation and rates, the lowest for times.
  return `${(hi ? Math.max(...xs) : Math.min(...xs)).toFixed(d)} / ${median(xs).toFixed(d)}`;
};
process.stdout.write(
  `\n| faxes | lines (nodes) | time scale | nominal call ms | busy while waiting % (from queueing) | busy % (from first call) | line free → next call p50 ms | p99 ms | max ms | call ÷ nominal p50 | p99 | calls/s | Redis commands per fax | first call after ms | all lines busy after ms | gateway process CPU % | redis-server CPU % | call jobs waiting for a node (median) | dispatch jobs waiting | event loop delay p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n` +
    `| ${FAXES} | ${LINES} (${NODES}) | ${SCALE} | ${median(runs.map((x) => x.nominalMs)).toFixed(0)} | ${fmt((x) => x.utilQueued * 100, 1, true)} | ${fmt((x) => x.utilFirst * 100, 1, true)} | ${fmt((x) => x.gapP50, 0)} | ${fmt((x) => x.gapP99, 0)} | ${fmt((x) => x.gapMax, 0)} | ${fmt((x) => x.stretchP50, 2)} | ${fmt((x) => x.stretchP99, 2)} | ${fmt((x) => x.callsPerS, 1, true)} | ${fmt((x) => x.cmdsPerFax, 0)} | ${fmt((x) => x.firstStartMs, 0)} | ${fmt((x) => x.allLinesMs, 0)} | ${fmt((x) => x.cpuPct, 0)} | ${fmt((x) => x.redisCpuPct, 0)} | ${median(runs.map((x) => x.queuedCalls)).toFixed(0)} | ${median(runs.map((x) => x.queuedDispatch)).toFixed(0)} | ${fmt((x) => x.loopP99Ms, 0)} | ${fmt((x) => x.loopMaxMs, 0)} |\n` +
    `(best / median of ${REPEATS} run(s), ${runs.map((x) => x.ended).join(', ')} calls ended, ${runs.map((x) => x.printedOnce).join(', ')} faxes on the remote's paper once, ${runs.map((x) => x.printedTwice).join(', ')} twice; dispatch and node in this one process, sim lines, private redis-server; load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`,
);
process.exit(0);
