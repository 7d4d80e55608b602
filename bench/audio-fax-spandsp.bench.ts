// A whole 3-page fine fax over audio, faxgate → spandsp beside spandsp → spandsp (issue 13: at
// most 1.05× the wall time). Both calls run in lockstep through test/peers/spandsp-audio-fax-peer
// (spandsp's fax_state on 20 ms blocks of 8 kHz audio through pipes): for faxgate, its audio
// terminal (its own modems under the T.30 engine) answers each block of the spandsp receiver;
// for spandsp → spandsp, two peers' pipes are joined, one silent block starting the exchange.
// A call's wall time on a real line is its line time: the blocks until the receiver (spandsp in
// both setups) reached phase E, times 20 ms; until both ends had, in brackets (the same bits give the same count every run). The compute time is how long the
// simulated call took on this machine, both ends together. Every received document is compared
// with the sent one by libtiff. Prints tables; asserts nothing.
// Run: node bench/audio-fax-spandsp.bench.ts   (AUDIO_FAX_REPEATS=3 by default)
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createT30Engine, type T30Config } from '@faxgate/t30';
import { tiffDocument } from '@faxgate/t38';
import { tempDir } from '@faxgate/testkit';
import { AudioFaxTerminal } from '../libs/modem/src/audio-fax-terminal.ts';
import { comparePages, makeTiff } from '../libs/t38/test/fax-peers.ts';

const repeats = Math.max(1, Number(process.env.AUDIO_FAX_REPEATS ?? 3));
const repo = resolve(import.meta.dirname, '..');
const peer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
const dir = await tempDir('bench-audio-fax');
// Three fine A4 pages of 30 lines of text each, from Ghostscript.
const doc = makeTiff(dir.path, 'three', 3, 196, 'a4', 30);

interface Run {
  /** Blocks of 20 ms until the receiver (spandsp in both setups) reached phase E. */
  blocks: number;
  /** Blocks until both ends reached phase E. */
  both: number;
  computeS: number;
  ok: boolean;
  rate: string;
  note: string;
}

const phaseE = (log: string) => Number(/PHASE_E block=(\d+)/.exec(log)?.[1] ?? NaN);

interface Setup {
  name: string;
  modems: string;
  ecm: boolean;
}

/** faxgate's audio terminal sends to the spandsp peer, in lockstep. */
function faxgateToSpandsp(s: Setup, out: string): Promise<Run> {
  return readFile(doc).then((bytes) => new Promise((done, fail) => {
    const modems = s.modems.split(',') as T30Config['modems'];
    const config: T30Config = {
      role: 'send', localId: '+1 555 0100', ecm: s.ecm, modems, encodings: s.ecm ? ['mh', 'mr', 'mmr'] : ['mh', 'mr'],
      resolutions: ['standard', 'fine'], document: tiffDocument(new Uint8Array(bytes)),
    };
    const log: string[] = [];
    const terminal = new AudioFaxTerminal({ engine: createT30Engine(config), calling: true, log: (l) => log.push(l) });
    const t0 = performance.now();
    const child = spawn(peer, ['receive', out, '--modems', s.modems, '--ecm', s.ecm ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let peerLog = '';
    child.stderr.on('data', (d) => (peerLog += d));
    const block = new Int16Array(160);
    const rx = new Int16Array(160);
    let pending = Buffer.alloc(0);
    let blocks = 0, finishedAt = 0, ended = false;
    // Bounded: 10 minutes of line time, 5 minutes of wall time.
    const wall = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`faxgate → spandsp still running after 300 s\n${log.slice(-30).join('\n')}\n${peerLog.slice(-2000)}`));
    }, 300_000);
    const send = () => {
      terminal.generate(block);
      child.stdin.write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    };
    child.stdout.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 320 && !ended) {
        for (let i = 0; i < 160; i++) rx[i] = pending.readInt16LE(2 * i);
        pending = pending.subarray(320);
        terminal.receive(rx);
        blocks++;
        if (terminal.finished && !finishedAt) finishedAt = blocks;
        if ((finishedAt && blocks - finishedAt > 100) || blocks >= 50 * 600) {
          ended = true;
          child.stdin.end();
        } else send();
      }
    });
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      clearTimeout(wall);
      const computeS = (performance.now() - t0) / 1000;
      const theirs = phaseE(peerLog);
      done({
        blocks: theirs, both: Math.max(finishedAt, theirs), computeS, ok: terminal.result?.success === true && code === 0,
        rate: terminal.result?.rate ?? '?', note: code === 0 ? '' : `spandsp: ${peerLog.slice(-400)}`,
      });
    });
    send();
  }));
}

/** Two spandsp peers, sender (caller) and receiver, their pipes joined. */
function spandspToSpandsp(s: Setup, out: string): Promise<Run> {
  return new Promise((done, fail) => {
    const args = ['--modems', s.modems, '--ecm', s.ecm ? '1' : '0'];
    const t0 = performance.now();
    const tx = spawn(peer, ['send', doc, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const rxp = spawn(peer, ['receive', out, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let txLog = '', rxLog = '';
    tx.stderr.on('data', (d) => (txLog += d));
    rxp.stderr.on('data', (d) => (rxLog += d));
    // Lockstep: each peer reads one block, then writes one, so a peer may always have been fed one
    // block more than it wrote. Once one of them has exited (0.5 s after its phase E), the other
    // hears silence until it reaches its own phase E and exits too.
    const ends = [tx, rxp].map((p) => ({ p, fed: 0, wrote: 0, alive: true }));
    const feed = (e: (typeof ends)[number], b: Buffer) => {
      if (!e.alive) return;
      e.fed += b.length;
      e.p.stdin.write(b);
    };
    const topUp = (e: (typeof ends)[number]) => {
      const lack = e.wrote + 320 - e.fed;
      if (lack > 0) feed(e, Buffer.alloc(lack));
    };
    for (const [me, other] of [[ends[0], ends[1]], [ends[1], ends[0]]]) {
      me.p.stdin.on('error', () => {});
      me.p.stdout.on('data', (d: Buffer) => {
        me.wrote += d.length;
        if (other.alive) feed(other, d);
        else topUp(me);
      });
      me.p.on('close', () => {
        me.alive = false;
        if (other.alive) topUp(other);
      });
    }
    // The receiver answers first: its first block (silence) starts the sender's clock.
    feed(ends[0], Buffer.alloc(320));
    const wall = setTimeout(() => {
      tx.kill('SIGKILL');
      rxp.kill('SIGKILL');
      fail(new Error(`spandsp → spandsp still running after 300 s\n${txLog.slice(-2000)}\n${rxLog.slice(-2000)}`));
    }, 300_000);
    const codes: number[] = [];
    const closed = (code: number | null) => {
      codes.push(code ?? -1);
      if (codes.length < 2) return;
      clearTimeout(wall);
      const computeS = (performance.now() - t0) / 1000;
      const rate = /bit_rate=(\d+)/.exec(rxLog)?.[1];
      done({
        blocks: phaseE(rxLog), both: Math.max(phaseE(txLog), phaseE(rxLog)), computeS, ok: codes.every((c) => c === 0),
        rate: rate ? `${rate} bit/s` : '?', note: codes.every((c) => c === 0) ? '' : `sender: ${txLog.slice(-300)} receiver: ${rxLog.slice(-300)}`,
      });
    };
    tx.on('close', closed);
    rxp.on('close', closed);
  });
}

const setups: Setup[] = [
  { name: 'V.17, no ECM', modems: 'v27ter,v29,v17', ecm: false },
  { name: 'V.17, ECM', modems: 'v27ter,v29,v17', ecm: true },
  { name: 'V.29, no ECM', modems: 'v27ter,v29', ecm: false },
];
const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows: string[] = [];
const load0 = loadavg()[0];
for (const s of setups) {
  const ours: Run[] = [], theirs: Run[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const [who, runs, fn] of [['faxgate', ours, faxgateToSpandsp], ['spandsp', theirs, spandspToSpandsp]] as const) {
      const out = join(dir.path, `${who}-${setups.indexOf(s)}-${r}.tif`);
      const run = await fn(s, out);
      const diff = run.ok ? comparePages(dir.path, doc, out) : 'call failed';
      if (diff) {
        run.ok = false;
        run.note ||= diff;
      }
      runs.push(run);
      process.stdout.write(`${s.name}, ${who} → spandsp, round ${r + 1}: ${run.ok ? 'ok' : 'FAILED'}, ${run.rate}, line ${(run.blocks / 50).toFixed(2)} s (both ends ${(run.both / 50).toFixed(2)} s), compute ${run.computeS.toFixed(2)} s${run.note ? ` (${run.note})` : ''}\n`);
    }
  }
  const line = (rs: Run[], k: 'blocks' | 'both' = 'blocks') => {
    const xs = rs.map((x) => x[k] / 50);
    return Math.min(...xs) === Math.max(...xs) ? xs[0].toFixed(2) : `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  };
  const compute = (rs: Run[]) => `${Math.min(...rs.map((x) => x.computeS)).toFixed(2)} / ${median(rs.map((x) => x.computeS)).toFixed(2)}`;
  const okCount = (rs: Run[]) => `${rs.filter((x) => x.ok).length}/${rs.length}`;
  const ratio = median(ours.map((x) => x.blocks)) / median(theirs.map((x) => x.blocks));
  rows.push(`| ${s.name} | ${ours[0].rate} | ${okCount(ours)} | ${line(ours)} (${line(ours, 'both')}) | ${okCount(theirs)} | ${line(theirs)} (${line(theirs, 'both')}) | ${ratio.toFixed(3)} | ${compute(ours)} | ${compute(theirs)} |`);
}
await dir.remove();
process.stdout.write(`\n| 3 fine A4 pages | rate | faxgate → spandsp ok | line (wall) s, receiver (both ends) | spandsp → spandsp ok | line (wall) s, receiver (both ends) | faxgate / spandsp | compute s faxgate → spandsp, min / median | spandsp → spandsp |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
process.stdout.write(`(${repeats} rounds each; line time = 20 ms blocks until the receiving spandsp reached phase E (in brackets: until both ends had), the call's wall time on a real line; the ratio is of the receiver's line times; compute = wall time of the simulated call on this machine, both ends; load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at the end)\n`);
