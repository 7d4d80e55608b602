// Whole fax calls over audio between faxgate's audio terminal (its own V.21, V.27 ter, V.29 and
// V.17 modems driving the T.30 engine) and spandsp's fax_state, both directions, in simulated time:
// test/peers/spandsp-audio-fax-peer answers each 20 ms block of our audio with one of its own.
// The received pages must equal the sent ones pixel for pixel, as libtiff decodes them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createT30Engine, type SessionParams, type T30Config } from '@faxgate/t30';
import { decodeReceivedPage, receivedTiff, tiffDocument } from '@faxgate/t38';
import { decodeTiffWithLibtiff, differingPixels, tempDir, type TempDir } from '@faxgate/testkit';
import { AudioFaxTerminal } from '../src/audio-fax-terminal.ts';
import { g711Decode, g711Encode, type G711Law } from '../src/g711.ts';
import { ToneDetector, type ToneEvent } from '../src/tones.ts';
import { concat, gaussian } from './v21-channel.ts';

const repo = resolve(import.meta.dirname, '../../..');
let peer: string;
let dir: TempDir;
let doc: string;
let doc2: string;

before(async () => {
  peer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
  dir = await tempDir('modem-audio-call');
  // One fine A4 page of text and line art, from Ghostscript (an independent producer).
  const ps = join(dir.path, 'page.ps');
  const lines = ['%!PS', '/Helvetica findfont 22 scalefont setfont'];
  for (let i = 0; i < 8; i++) lines.push(`72 ${740 - i * 40} moveto (faxgate audio modem test, line ${i + 1}) show`);
  lines.push('100 120 moveto 500 380 lineto 6 setlinewidth stroke showpage');
  await writeFile(ps, lines.join('\n') + '\n');
  doc = join(dir.path, 'page.tif');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${doc}`, ps]);
  // Two standard-resolution pages, for the multi-page exchange (MPS, then EOP).
  const ps2 = join(dir.path, 'pages.ps');
  const two = ['%!PS', '/Helvetica findfont 30 scalefont setfont'];
  for (let p = 1; p <= 2; p++) two.push(`72 700 moveto (page ${p} of 2) show ${60 * p} 200 moveto 500 ${300 + 50 * p} lineto 4 setlinewidth stroke showpage`);
  await writeFile(ps2, two.join('\n') + '\n');
  doc2 = join(dir.path, 'pages.tif');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x98', '-sPAPERSIZE=a4', `-sOutputFile=${doc2}`, ps2]);
});
after(() => dir.remove());

interface CallOutcome {
  terminal: AudioFaxTerminal;
  peerCode: number | null;
  peerLog: string;
  log: string[];
  /** Everything faxgate put on the line, before the line model. */
  sent: Int16Array;
}

/** What the line does to each direction's audio, 20 ms at a time. */
interface Line {
  toPeer?: (x: Int16Array) => Int16Array;
  /** `ours` is the block faxgate sent last: a line with echo returns some of it. */
  toUs?: (x: Int16Array, ours: Int16Array) => Int16Array;
}

/** Runs the call in lockstep until both ends are done; bounded in line time and wall time. */
function lockstep(terminal: AudioFaxTerminal, log: string[], args: string[], line: Line = {}): Promise<CallOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(peer, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let peerLog = '';
    child.stderr.on('data', (d) => (peerLog += d));
    const block = new Int16Array(160);
    const rx = new Int16Array(160);
    let pending = Buffer.alloc(0);
    let afterFinish = 0;
    let ended = false;
    const maxBlocks = 50 * 240; // 4 minutes of line time
    let blocks = 0;
    const wall = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`call still running after 100 s wall time, ${blocks / 50} s of line time\nfaxgate:\n${log.slice(-40).join('\n')}\nspandsp:\n${peerLog.slice(-3000)}`));
    }, 100_000);
    const sent: Int16Array[] = [];
    const send = () => {
      terminal.generate(block);
      sent.push(block.slice());
      const x = line.toPeer ? line.toPeer(block) : block;
      child.stdin.write(Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    };
    child.stdout.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 320 && !ended) {
        for (let i = 0; i < 160; i++) rx[i] = pending.readInt16LE(2 * i);
        pending = pending.subarray(320);
        terminal.receive(line.toUs ? line.toUs(rx, sent[sent.length - 1]) : rx);
        blocks++;
        if (terminal.finished) afterFinish++;
        // 2 s of line time after our end lets the peer reach its phase E; then hang up.
        if (afterFinish > 100 || blocks >= maxBlocks) {
          ended = true;
          child.stdin.end();
        } else send();
      }
    });
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      clearTimeout(wall);
      resolvePromise({ terminal, peerCode: code, peerLog, log, sent: concat(sent) });
    });
    send();
  });
}

function config(role: 'send' | 'receive', extra: Partial<T30Config>): T30Config {
  return { role, localId: '+1 555 0100', ecm: false, modems: ['v27ter', 'v29'], encodings: ['mh', 'mr'], resolutions: ['standard', 'fine'], ...extra };
}

async function samePages(expected: string, actual: string | Uint8Array, tag: string): Promise<void> {
  const a = await decodeTiffWithLibtiff(expected, dir.path, `${tag}-expected`);
  const b = await decodeTiffWithLibtiff(actual, dir.path, `${tag}-actual`);
  assert.equal(b.length, a.length, 'page count');
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual([b[i].width, b[i].height], [a[i].width, a[i].height], `page ${i + 1} size`);
    assert.equal(differingPixels(a[i], b[i]), 0, `page ${i + 1}: differing pixels`);
  }
}

/** G.711 on both directions, and white noise `snrDb` below a -13 dBm0 signal. */
function g711Line(law: G711Law, snrDb?: number, seed = 1): Line {
  const sigma = snrDb === undefined ? 0 : Math.sqrt((22713 ** 2 / 2) * 10 ** (-13 / 10) / 10 ** (snrDb / 10));
  const make = (g: () => number) => (x: Int16Array) => {
    const noisy = sigma ? x.map((v) => Math.max(-32768, Math.min(32767, Math.round(v + sigma * g())))) : x;
    return g711Decode(law, g711Encode(law, noisy));
  };
  return { toPeer: make(gaussian(seed)), toUs: make(gaussian(seed + 1)) };
}

/** A 2-wire line's talker echo: our own signal comes back `db` down, 20 ms late. */
function echoLine(db: number): Line {
  const k = 10 ** (db / 20);
  return { toUs: (x, ours) => x.map((v, i) => Math.max(-32768, Math.min(32767, v + Math.round(k * ours[i])))) };
}

interface CallCase {
  name: string;
  modems: Array<'v27ter' | 'v29' | 'v17'>;
  line?: Line;
  expectRate: string;
  /** T.30 Annex A error correction: MMR pages in HDLC frames on the image modem. */
  ecm?: boolean;
  /** The two-page document instead of the one fine page. */
  twoPages?: boolean;
  /** The only coding faxgate offers (else MH and MR, with MMR under ECM). */
  encoding?: 'mh';
}
// The noise runs through the silences too, so "40 dB" is a -53 dBm0 noise floor. With the
// floor at -43 dBm0 (30 dB) spandsp's fax_state fails even against itself (its V.21 detector
// holds carrier on the noise: bad CRCs and aborts while it should wait for TCF); at -48 dBm0
// (35 dB) spandsp → faxgate passes but faxgate → spandsp does not, spandsp's V.21 carrier
// dropping only after our TCF training had begun (seen in its log).
const CASES: CallCase[] = [
  { name: 'V.29, clean line', modems: ['v27ter', 'v29'], expectRate: 'V.29 9600 bit/s' },
  { name: 'V.29, µ-law with 40 dB SNR', modems: ['v27ter', 'v29'], line: g711Line('ulaw', 40), expectRate: 'V.29 9600 bit/s' },
  { name: 'V.27 ter, A-law', modems: ['v27ter'], line: g711Line('alaw'), expectRate: 'V.27ter 4800 bit/s' },
  { name: 'V.29, echo of our signal 12 dB down', modems: ['v27ter', 'v29'], line: echoLine(-12), expectRate: 'V.29 9600 bit/s' },
  { name: 'ECM, V.29, µ-law', modems: ['v27ter', 'v29'], line: g711Line('ulaw'), expectRate: 'V.29 9600 bit/s', ecm: true },
  { name: 'two pages, V.29', modems: ['v27ter', 'v29'], expectRate: 'V.29 9600 bit/s', twoPages: true },
  { name: 'two pages, ECM, V.27 ter', modems: ['v27ter'], expectRate: 'V.27ter 4800 bit/s', ecm: true, twoPages: true },
  { name: 'V.17, µ-law', modems: ['v27ter', 'v29', 'v17'], line: g711Line('ulaw'), expectRate: 'V.17 14400 bit/s' },
  { name: 'MH only, V.29, A-law', modems: ['v27ter', 'v29'], line: g711Line('alaw'), expectRate: 'V.29 9600 bit/s', encoding: 'mh' },
  { name: 'two pages, ECM, V.17, A-law with 40 dB SNR', modems: ['v27ter', 'v29', 'v17'], line: g711Line('alaw', 40), expectRate: 'V.17 14400 bit/s', ecm: true, twoPages: true },
];

const ecmArgs = (c: CallCase) => (c.ecm ? ['--ecm', '1'] : []);
/** spandsp offers V.17 only in the V.17 cases, so that the others keep testing V.29 and V.27 ter. */
const peerModems = (c: CallCase) => (c.modems.includes('v17') ? 'v27ter,v29,v17' : 'v27ter,v29');
const ecmConfig = (c: CallCase): Partial<T30Config> => (c.ecm ? { ecm: true, encodings: ['mh', 'mr', 'mmr'] } : c.encoding ? { encodings: [c.encoding] } : {});
/**
 * The coding the pages went in, as spandsp's STATS line reports it (its T4_COMPRESSION_ITU_*:
 * 1 T.4 one-dimensional (MH), 2 two-dimensional (MR), 3 T.6 (MMR)). Both ends support all
 * three, so each case names the one it must use: MMR with ECM, else MR unless faxgate offers MH only.
 */
function assertCoding(c: CallCase, peerLog: string, why: string): void {
  const want = c.ecm ? 3 : c.encoding === 'mh' ? 1 : 2;
  assert.equal(Number(/STATS .*encoding=(\d+)/.exec(peerLog)?.[1]), want, `page coding${why}`);
}

/** Bursts of our audio separated by at least 5 ms of digital silence: [start, end) in samples. */
function bursts(x: Int16Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  let zeros = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      if (start < 0) start = i;
      zeros = 0;
    } else if (start >= 0 && ++zeros === 40) {
      out.push([start, i - 39]);
      start = -1;
    }
  }
  if (start >= 0) out.push([start, x.length]);
  return out;
}

for (const c of CASES) {
  test(`faxgate sends over audio, spandsp receives the pages unchanged: ${c.name}`, async () => {
    const log: string[] = [];
    const file = c.twoPages ? doc2 : doc;
    const engine = createT30Engine(config('send', { document: tiffDocument(new Uint8Array(await readFile(file))), modems: c.modems, ...ecmConfig(c) }));
    const terminal = new AudioFaxTerminal({ engine, calling: true, log: (l) => log.push(l) });
    const out = join(dir.path, `spandsp-received-${c.modems.join('')}-${CASES.indexOf(c)}.tif`);
    const r = await lockstep(terminal, log, ['receive', out, '--modems', peerModems(c), ...ecmArgs(c)], c.line);
    const why = `\nfaxgate:\n${log.slice(-60).join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.peerCode, 0, `spandsp's completion${why}`);
    assert.equal(terminal.result?.rate, c.expectRate);
    assert.equal(terminal.result?.pages.length, c.twoPages ? 2 : 1);
    assert.equal(terminal.result?.pages[0]?.ecm, c.ecm ?? false);
    assertCoding(c, r.peerLog, why);
    await samePages(file, out, `to-spandsp-${CASES.indexOf(c)}`);

    // CNG (T.30 §5.2): 1100 Hz, 0.5 s bursts, until the called station answered.
    const tones: ToneEvent[] = [];
    const det = new ToneDetector((e) => tones.push(e));
    det.receive(r.sent.subarray(0, 8000 * 3));
    const cng = tones.filter((e) => e.tone === 'cng' && !e.on);
    assert.ok(cng.length >= 1 && cng.every((e) => Math.abs((e.durationMs ?? 0) - 500) <= 40), JSON.stringify(tones));
    // T.30 §5.3.6.2.2 / §5.3.2.4: TCF (1.5 s of zeros after the training) follows DCS after 75 ± 20 ms.
    const b = bursts(r.sent);
    const logged = log.map((l) => /^\[([\d.]+) s\] tx \S+ \d+ TCF/.exec(l)).find((m) => m);
    assert.ok(logged, 'TCF was sent');
    const at = Number(logged[1]) * 8000;
    const tcf = b.findIndex(([s]) => Math.abs(s - at) <= 400);
    assert.ok(tcf > 0, `no burst at ${at / 8} ms among ${JSON.stringify(b.map(([s, e]) => [s / 8, (e - s) / 8]))}`);
    assert.ok((b[tcf][1] - b[tcf][0]) / 8 >= 1500, 'TCF lasts 1.5 s after its training');
    const gapMs = (b[tcf][0] - b[tcf - 1][1]) / 8;
    assert.ok(gapMs >= 55 && gapMs <= 95, `silence before TCF ${gapMs} ms`);
  });

  test(`spandsp sends over audio, faxgate receives the pages unchanged: ${c.name}`, async () => {
    const log: string[] = [];
    const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
    const engine = createT30Engine(config('receive', { judgePage: (data, params) => decodeReceivedPage(data, params), modems: c.modems, ...ecmConfig(c) }));
    const terminal = new AudioFaxTerminal({
      engine,
      calling: false,
      log: (l) => log.push(l),
      onAction: (a) => {
        if (a.type === 'page-received') pages.push({ data: a.data, params: a.params });
      },
    });
    const file = c.twoPages ? doc2 : doc;
    const r = await lockstep(terminal, log, ['send', file, '--modems', peerModems(c), ...ecmArgs(c)], c.line);
    const why = `\nfaxgate:\n${log.slice(-60).join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.peerCode, 0, `spandsp's completion${why}`);
    assert.equal(terminal.result?.rate, c.expectRate);
    assert.equal(pages.length, c.twoPages ? 2 : 1, why);
    assert.equal(pages[0].params.ecm, c.ecm ?? false);
    assertCoding(c, r.peerLog, why);
    assert.equal(pages[0].params.encoding, c.ecm ? 'mmr' : (c.encoding ?? 'mr'), 'the coding faxgate received');
    await samePages(file, receivedTiff(pages), `from-spandsp-${CASES.indexOf(c)}`);

    // CED (T.30 §5.2): 2100 Hz for 2.6–4 s, after at least 0.2 s of silence.
    const tones: ToneEvent[] = [];
    new ToneDetector((e) => tones.push(e)).receive(r.sent.subarray(0, 8000 * 5));
    const ced = tones.filter((e) => e.tone === 'ced');
    assert.equal(ced.length, 2, JSON.stringify(tones));
    assert.ok(ced[0].at >= 0.2 * 8000 - 160, `CED starts at ${ced[0].at / 8} ms`);
    assert.ok((ced[1].durationMs ?? 0) >= 2600 && (ced[1].durationMs ?? 0) <= 4000, `CED lasts ${ced[1].durationMs} ms`);
  });
}

test('spandsp steps down after each FTT and faxgate receives every TCF whole, from V.29 9600 to V.27 ter 2400', async () => {
  const log: string[] = [];
  const engine = createT30Engine(config('receive', { refuseTraining: true }));
  const terminal = new AudioFaxTerminal({ engine, calling: false, log: (l) => log.push(l) });
  const r = await lockstep(terminal, log, ['send', doc, '--modems', 'v27ter,v29']);
  const why = `\nfaxgate:\n${log.join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
  assert.equal(terminal.result?.success, false);
  assert.notEqual(r.peerCode, 0, 'spandsp gave up as well');
  const dcs = log.map((l) => /DCS: (\S+ \d+) bit\/s/.exec(l)?.[1]).filter((x) => x);
  assert.deepEqual(dcs.filter((d, i) => d !== dcs[i - 1]), ['V.29 9600', 'V.29 7200', 'V.27ter 4800', 'V.27ter 2400'], why);
  const judged = log.map((l) => /TCF: \d+ octets, longest zero run (\d+), need (\d+)/.exec(l)).filter((m) => m);
  assert.equal(judged.length, dcs.length, why);
  for (const m of judged) assert.ok(m && Number(m[1]) >= Number(m[2]), `a TCF arrived damaged: ${m?.[0]}${why}`);
});

/**
 * What a receiver starved of CPU hears (or one whose jitter buffer gave up): the line goes silent
 * for `ms`, starting `afterMs` after the image carrier that follows our CFR came up, i.e. in the
 * middle of the first ECM partial page.
 */
function lossLine(log: string[], afterMs: number, ms: number): Line {
  let blocks = 0;
  let from = -1;
  let seen = 0;
  let cfr = false;
  return {
    toUs: (x) => {
      blocks++;
      for (; seen < log.length && from < 0; seen++) {
        if (/ tx CFR$/.test(log[seen])) cfr = true;
        else if (cfr && / v17 carrier up$/.test(log[seen])) from = blocks + afterMs / 20;
      }
      return from >= 0 && blocks >= from && blocks < from + ms / 20 ? new Int16Array(x.length) : x;
    },
  };
}

// spandsp's PPS after a retransmission counts only the frames resent: a receiver that took it for
// the size of the partial page confirmed (MCF) a block whose last frames it never had.
for (const [afterMs, ms] of [[600, 1000], [1500, 400], [300, 2000]]) {
  test(`spandsp sends V.17 ECM over audio, ${ms} ms of the line lost ${afterMs} ms into the partial page: faxgate asks again (PPR) and receives the page unchanged`, async () => {
    const log: string[] = [];
    const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
    const engine = createT30Engine(config('receive', { judgePage: (data, params) => decodeReceivedPage(data, params), modems: ['v27ter', 'v29', 'v17'], ecm: true, encodings: ['mh', 'mr', 'mmr'] }));
    const terminal = new AudioFaxTerminal({
      engine,
      calling: false,
      log: (l) => log.push(l),
      onAction: (a) => {
        if (a.type === 'page-received') pages.push({ data: a.data, params: a.params });
      },
    });
    const r = await lockstep(terminal, log, ['send', doc, '--modems', 'v27ter,v29,v17', '--ecm', '1'], lossLine(log, afterMs, ms));
    const why = `\nfaxgate:\n${log.filter((l) => !/V\.21 (frame|carrier)/.test(l)).slice(-60).join('\n')}\nspandsp:\n${r.peerLog.slice(-2000)}`;
    assert.ok(log.some((l) => / tx PPR$/.test(l)), `the loss did not cost frames of the partial page${why}`);
    assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${why}`);
    assert.equal(r.peerCode, 0, `spandsp's completion${why}`);
    assert.equal(terminal.result?.rate, 'V.17 14400 bit/s');
    assert.equal(pages.length, 1, why);
    await samePages(doc, receivedTiff(pages), `loss-${afterMs}-${ms}`);
  });
}
