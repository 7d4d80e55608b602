// SIP call set-ups per second by one node process (issue 11): the node's SIP endpoint (the
// `sip` driver's UserAgent on its UDP socket, two media ports bound per call as the driver does)
// places calls at a fixed offered rate to SIPp as the trunk (scenario uas-answer-bench: 100,
// 180, 200 with SDP, then ACK and our BYE). Node is one thread, so this process's CPU time per
// set-up says what one core can carry; SIPp runs in its own process and is not counted.
// Retransmissions are counted from faxgate's own trace (a message seen twice with the same
// Call-ID, CSeq and status/method): ours (INVITE, BYE) and SIPp's (200 OK until our ACK).
// Three repeats per rate; the table gives min and median. Prints a table; asserts nothing.
// Run: node bench/sip-setup.bench.ts   (SIP_SETUP_RATES=50,100,200,400 and SIP_SETUP_SECONDS=4 by default)
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '@faxgate/testkit';
import { header, SipEndpoint, type SipMessage } from '../libs/sip/src/index.ts';
import { SCENARIOS, freeUdpPort, waitBound } from '../libs/sip/test/sipp.ts';
import { start } from '../libs/t38/test/fax-peers.ts';
import { CallMedia } from '../services/node/src/sip-media.ts';

const rates = (process.env.SIP_SETUP_RATES ?? '50,100,200,400').split(',').map(Number).filter((n) => n > 0);
const seconds = Number(process.env.SIP_SETUP_SECONDS ?? 4);
const REPEATS = 3;
const dir = await tempDir('bench-sip-setup');

interface Run {
  offered: number;
  calls: number;
  answered: number;
  /** Answered set-ups per second of wall time, first INVITE to last 200 OK. */
  rate: number;
  p50: number;
  p99: number;
  /** This process's CPU ms per call (set-up and tear-down). */
  cpuPerCall: number;
  ours: number;
  theirs: number;
  sippExit: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

async function run(offered: number, tag: string): Promise<Run> {
  const calls = Math.round(offered * seconds);
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const sipp = start('sipp', [
    '-sf', join(SCENARIOS, 'uas-answer-bench.xml'), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-bind_local',
    '-m', String(calls), '-nostdin', '-trace_err', '-error_file', join(dir.path, `${tag}.errors.log`), '-timeout', '60s', '-timeout_error', '-max_retrans', '8', '-nr',
  ]);
  await waitBound(port, sipp, () => `${sipp.stdout().slice(-2000)}${sipp.stderr()}`, 'udp');
  const seen = new Set<string>();
  let ours = 0, theirs = 0;
  const key = (m: SipMessage) => `${m.kind === 'request' ? m.method : m.status} ${header(m, 'call-id')} ${header(m, 'cseq')}`;
  const ep = new SipEndpoint({
    bindHost: '127.0.0.1', bindPort: 0, user: '+15550000001', domain: '127.0.0.1', media: 'audio',
    trace: (d, _p, m) => {
      if (typeof m === 'string') return;
      // Provisional responses are sent once by SIPp; every repeat of anything else is a retransmission.
      if (m.kind === 'response' && m.status < 200) return;
      const k = `${d} ${key(m)}`;
      if (seen.has(k)) {
        if (d === 'out') ours++;
        else theirs++;
      } else seen.add(k);
    },
  });
  await ep.start();
  const setup: number[] = [];
  const pending = new Map<string, { t0: number; media: CallMedia; done: () => void }>();
  let lastAnswer = 0;
  ep.on('event', (e) => {
    if (!('callId' in e)) return;
    const p = pending.get(e.callId);
    if (!p) return;
    if (e.type === 'answered') {
      lastAnswer = performance.now();
      setup.push(lastAnswer - p.t0);
      ep.do((ua) => ua.hangup(e.callId));
    } else if (e.type === 'ended') {
      pending.delete(e.callId);
      p.media.close();
      p.done();
    }
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ends: Promise<void>[] = [];
  for (let i = 0; i < calls; i++) {
    // Open loop: call i starts at i/offered s whatever happened to earlier calls.
    const due = t0 + (i * 1000) / offered;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const media = await CallMedia.open('127.0.0.1');
    const started = performance.now();
    const { callId } = ep.do((ua) => ua.invite(`sip:+15550000002@127.0.0.1:${port}`, media.local('127.0.0.1')));
    ends.push(new Promise<void>((done) => pending.set(callId, { t0: started, media, done })));
  }
  // Bounded: SIPp's own -timeout (60 s) ends it; a call it never answered ends with our timer B.
  const sippExit = await sipp.exit;
  const cpu = process.cpuUsage(cpu0);
  await Promise.race([Promise.all(ends), new Promise((r) => setTimeout(r, 40_000))]);
  for (const p of pending.values()) p.media.close();
  await ep.close();
  return {
    offered, calls, answered: setup.length, rate: setup.length / ((lastAnswer - t0) / 1000), p50: quantile(setup, 0.5), p99: quantile(setup, 0.99),
    cpuPerCall: (cpu.user + cpu.system) / 1000 / calls, ours, theirs, sippExit,
  };
}

const median = (xs: number[]) => quantile(xs, 0.5);
const load0 = loadavg();
process.stdout.write(`load average before: ${load0.map((l) => l.toFixed(2)).join(' ')} (2 cores shared with other work)\n`);
await run(20, 'warm-up');
const rows: string[] = [];
for (const offered of rates) {
  const runs: Run[] = [];
  for (let r = 0; r < REPEATS; r++) runs.push(await run(offered, `r${offered}-${r}`));
  const fmt = (f: (x: Run) => number, d = 1) => `${Math.min(...runs.map(f)).toFixed(d)} / ${median(runs.map(f)).toFixed(d)}`;
  const line = `| ${String(offered).padStart(7)} | ${runs.map((x) => `${x.answered}/${x.calls}`).join(', ')} | ${fmt((x) => x.rate)} | ${fmt((x) => x.p50)} | ${fmt((x) => x.p99)} | ${fmt((x) => x.cpuPerCall, 2)} | ${(1000 / median(runs.map((x) => x.cpuPerCall))).toFixed(0)} | ${runs.map((x) => x.ours).join(', ')} | ${runs.map((x) => x.theirs).join(', ')} | ${runs.map((x) => x.sippExit).join(', ')} |`;
  rows.push(line);
  process.stdout.write(`${line}\n`);
}
await dir.remove();
process.stdout.write(`\n| offered /s | answered (3 runs) | set-ups/s min / median | INVITE→200 p50 ms | p99 ms | CPU ms per call | set-ups/s one core could carry | our retransmissions | SIPp's retransmissions | SIPp exit |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
process.stdout.write(`(${seconds} s of calls per run, ${REPEATS} runs per rate; one node process, SIPp as UAS on 127.0.0.1 UDP; CPU per call is this process's user+system time over set-up and BYE; load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
