// faxgate's fast modems (V.17, V.29, V.27 ter) beside spandsp's: bit-error rate against SNR for our
// receiver and spandsp's receiver on the same signals (spandsp's transmitter, white noise from
// the judge's channel), and CPU time per second of audio for each transmitter and receiver.
// spandsp's receiver at 1e-5 on 200 000 bits for V.29 9600 and V.17 14400 (issue 13's 1.5 dB).
// Run: node bench/fast-modems.bench.ts [--cpu-only | --fine-only]   (prints tables; asserts nothing)
// --fine-only prints only the 200 000-bit 1e-5 table (a few minutes less than the whole run).
import { V29Receiver } from '../libs/modem/src/v29-rx.ts';
import { V29Transmitter } from '../libs/modem/src/v29-tx.ts';
import { V27terReceiver } from '../libs/modem/src/v27ter-rx.ts';
import { V27terTransmitter } from '../libs/modem/src/v27ter-tx.ts';
import { V17Receiver } from '../libs/modem/src/v17-rx.ts';
import { V17Transmitter } from '../libs/modem/src/v17-tx.ts';
import type { ModemReceiver, ModemReceiverEvents, ModemTransmitter } from '../libs/modem/src/qam-types.ts';
import { channel, judgeReceive, judgeTransmit, prbs15, runJudge } from '../libs/modem/test/fast-modem-judge.ts';

interface Mode {
  modem: 'v17' | 'v29' | 'v27ter';
  rate: number;
  rx: (ev: ModemReceiverEvents) => ModemReceiver;
  tx: (getBit: () => number) => ModemTransmitter;
}
const modes: Mode[] = [
  ...([14400, 12000, 9600, 7200] as const).map((rate): Mode => ({ modem: 'v17', rate, rx: (ev) => new V17Receiver({ rate }, ev), tx: (g) => new V17Transmitter({ rate, getBit: g }) })),
  { modem: 'v29', rate: 9600, rx: (ev) => new V29Receiver({ rate: 9600 }, ev), tx: (g) => new V29Transmitter({ rate: 9600, getBit: g }) },
  { modem: 'v29', rate: 7200, rx: (ev) => new V29Receiver({ rate: 7200 }, ev), tx: (g) => new V29Transmitter({ rate: 7200, getBit: g }) },
  { modem: 'v27ter', rate: 4800, rx: (ev) => new V27terReceiver({ rate: 4800 }, ev), tx: (g) => new V27terTransmitter({ rate: 4800, getBit: g }) },
  { modem: 'v27ter', rate: 2400, rx: (ev) => new V27terReceiver({ rate: 2400 }, ev), tx: (g) => new V27terTransmitter({ rate: 2400, getBit: g }) },
];

const NBITS = 20000;
const data = prbs15(NBITS);
const want = Array.from(data, (b) => (b ? '1' : '0')).join('');

/** Bit errors over the data, aligned where the first 1000 bits match best (noise may hit the start). */
function ber(got: string): string {
  const errors = bitErrorsOf(got, want);
  if (typeof errors === 'string') return errors;
  return errors === 0 ? `0 (<${(1 / NBITS).toExponential(0)})` : (errors / NBITS).toExponential(1);
}

/** Errors of `got` against `want` (a string of 0/1), or why they cannot be counted. */
function bitErrorsOf(got: string, want: string): number | string {
  if (got.length < 1000) return 'no data';
  let best = -1;
  let bestErr = Infinity;
  for (let off = 0; off < Math.min(400, got.length - 1000); off++) {
    let e = 0;
    for (let i = 0; i < 1000 && e < bestErr; i++) if (got[off + i] !== want[i]) e++;
    if (e < bestErr) {
      bestErr = e;
      best = off;
    }
  }
  if (bestErr > 300) return 'no sync';
  let errors = 0;
  for (let i = 0; i < want.length; i++) if (got[best + i] !== want[i]) errors++;
  return errors;
}

/** Our receiver's bits from `audio`, or undefined if it did not train. */
function oursBits(mode: Mode, audio: Int16Array): string | undefined {
  const bits: string[] = [];
  let trained = false;
  const rx = mode.rx({ bit: (b) => bits.push(b ? '1' : '0'), training: (ok) => (trained ||= ok) });
  for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
  rx.receive(new Int16Array(1600));
  return trained ? bits.join('') : undefined;
}

function ours(mode: Mode, audio: Int16Array): string {
  const bits = oursBits(mode, audio);
  return bits === undefined ? 'no training' : ber(bits);
}

/** spandsp's transmission of `nbits` with its leading silence cut off (see below). */
function judgeSignal(mode: Mode, nbits: number): Int16Array {
  const sent = judgeTransmit(mode.modem, mode.rate, nbits);
  let lead = 0;
  while (lead < sent.length && sent[lead] === 0) lead++;
  return sent.subarray(lead);
}

const snrs = [6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 30];
const fineOnly = process.argv.includes('--fine-only');
const berModes = process.argv.includes('--cpu-only') || fineOnly ? [] : modes;
if (berModes.length) console.log(`Bit-error rate over ${NBITS} bits of PRBS15 from spandsp's transmitter, white noise (dB SNR over the signal's power)`);
for (const mode of berModes) {
  // spandsp's V.27 ter and V.17 receivers fails its training when noise precedes the signal, so the
  // transmitter's leading silence is cut off before the noise is added (for both receivers).
  const clean = judgeSignal(mode, NBITS);
  const rows: string[][] = [['SNR dB', 'faxgate rx', 'spandsp rx']];
  for (const snr of snrs) {
    const noisy = channel(clean, ['--snr', String(snr), '--seed', String(snr)]);
    const sp = judgeReceive(mode.modem, mode.rate, noisy).bits;
    rows.push([String(snr), ours(mode, noisy), sp.length > 0 ? ber(sp) : 'no training']);
  }
  console.log(`\n${mode.modem} ${mode.rate}`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(i === 0 ? 8 : 16)).join(''));
}

// Issue 13 asks for our receiver within 1.5 dB of spandsp's at a bit-error rate of 1e-5: that
// needs far more bits than the table above (200 000: at most 2 errors) and finer SNR steps, for
// V.29 9600, V.17 14400 and V.27 ter at both rates.
const FINE_BITS = 200_000;
const fineModes = process.argv.includes('--cpu-only') ? [] : modes.filter((m) => (m.modem === 'v29' && m.rate === 9600) || (m.modem === 'v17' && m.rate === 14400) || m.modem === 'v27ter');
/** SNR range of the fine table, dB: where each modem's errors fall from many to none. */
const FINE_RANGE: Record<string, [number, number]> = { v17: [17, 26], v29: [14, 23], 'v27ter 4800': [11, 20], 'v27ter 2400': [5, 14] };
if (fineModes.length) console.log(`\nBit errors in ${FINE_BITS} bits against SNR in 0.5 dB steps; the lowest SNR from which every higher step has a BER <= 1e-5 (at most 2 errors)`);
const fineData = prbs15(FINE_BITS);
const fineWant = Array.from(fineData, (b) => (b ? '1' : '0')).join('');
for (const mode of fineModes) {
  const clean = judgeSignal(mode, FINE_BITS);
  const rows: string[][] = [['SNR dB', 'faxgate errors', 'spandsp errors']];
  const ok = { ours: [] as boolean[], spandsp: [] as boolean[] };
  const steps: number[] = [];
  const [lo, hi] = FINE_RANGE[`${mode.modem} ${mode.rate}`] ?? FINE_RANGE[mode.modem];
  for (let snr = lo; snr <= hi; snr += 0.5) steps.push(snr);
  for (const snr of steps) {
    const noisy = channel(clean, ['--snr', String(snr), '--seed', String(Math.round(snr * 10))]);
    const mine = oursBits(mode, noisy);
    const theirs = judgeReceive(mode.modem, mode.rate, noisy).bits;
    const e1 = mine === undefined ? 'no training' : bitErrorsOf(mine, fineWant);
    const e2 = theirs.length > 0 ? bitErrorsOf(theirs, fineWant) : 'no training';
    ok.ours.push(typeof e1 === 'number' && e1 <= 2);
    ok.spandsp.push(typeof e2 === 'number' && e2 <= 2);
    rows.push([snr.toFixed(1), String(e1), String(e2)]);
  }
  const threshold = (flags: boolean[]) => {
    let i = flags.length;
    while (i > 0 && flags[i - 1]) i--;
    return i < flags.length ? steps[i] : NaN;
  };
  const a = threshold(ok.ours);
  const b = threshold(ok.spandsp);
  console.log(`\n${mode.modem} ${mode.rate}`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(i === 0 ? 8 : 16)).join(''));
  const at = (x: number) => (Number.isNaN(x) ? `not reached by ${steps[steps.length - 1]} dB` : `${x} dB`);
  const diff = Number.isNaN(a) || Number.isNaN(b) ? '' : a === b ? ' (the same)' : ` (faxgate needs ${Math.abs(a - b).toFixed(1)} dB ${a > b ? 'more' : 'less'})`;
  console.log(`BER <= 1e-5 from: faxgate ${at(a)}, spandsp ${at(b)}${diff}`);
}

if (!fineOnly) console.log('\nCPU time per second of audio (ms), 30 s of PRBS data; ours: best of 6 runs (the first ones run before the JIT has optimised the code), spandsp: best of 3');
const cpuRows: string[][] = [['modem', 'faxgate tx', 'spandsp tx', 'faxgate rx', 'spandsp rx', 'rx ratio']];
const ms = (u: NodeJS.CpuUsage, seconds: number) => (u.user + u.system) / 1000 / seconds;
for (const mode of fineOnly ? [] : modes) {
  const seconds = 30;
  const audio = new Int16Array(seconds * 8000);
  const blocks: Int16Array[] = [];
  for (let o = 0; o < audio.length; o += 160) blocks.push(audio.subarray(o, o + 160));
  let txBest = Infinity;
  let rxBest = Infinity;
  for (let run = 0; run < 6; run++) {
    let i = 0;
    const tx = mode.tx(() => data[i++ % NBITS]);
    const t0 = process.cpuUsage();
    for (const b of blocks) tx.generate(b);
    txBest = Math.min(txBest, ms(process.cpuUsage(t0), seconds));
    const rx = mode.rx({ bit: () => {} });
    const t1 = process.cpuUsage();
    for (const b of blocks) rx.receive(b);
    rxBest = Math.min(rxBest, ms(process.cpuUsage(t1), seconds));
  }
  // spandsp's too: best of 3, since a loaded machine inflates any single run.
  let spTx = Infinity;
  let spRx = Infinity;
  for (let run = 0; run < 3; run++) {
    const [t, r] = runJudge(['cpu', mode.modem, String(mode.rate), String(seconds)]).stdout.toString().trim().split(/\s+/).map(Number);
    spTx = Math.min(spTx, t);
    spRx = Math.min(spRx, r);
  }
  cpuRows.push([`${mode.modem} ${mode.rate}`, txBest.toFixed(2), spTx.toFixed(2), rxBest.toFixed(2), spRx.toFixed(2), (rxBest / spRx).toFixed(1)]);
}
if (!fineOnly) for (const r of cpuRows) console.log(r.map((c) => c.padEnd(14)).join(''));
