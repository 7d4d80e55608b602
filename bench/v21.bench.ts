// CPU time per second of audio of faxgate's V.21 channel 2 modem (with HDLC) beside spandsp's
// fsk_tx / fsk_rx + hdlc_rx, measured by test/peers/spandsp-v21-peer in the same run.
// Run: node bench/v21.bench.ts   (prints a table; asserts nothing)
import { HdlcReceiver, HdlcTransmitter } from '../libs/modem/src/hdlc.ts';
import { V21Receiver, V21Transmitter } from '../libs/modem/src/v21.ts';
import { buildV21Peer, runPeer } from '../libs/modem/test/v21-peer.ts';

const SECONDS = 60;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function ours() {
  // Idle flags, as spandsp's side of the bench sends.
  const hdlcTx = new HdlcTransmitter({ preambleFlags: 0 });
  const tx = new V21Transmitter({ getBit: () => hdlcTx.nextBit() });
  const audio = new Int16Array(8000 * SECONDS);
  const t0 = cpuMs();
  for (let i = 0; i < audio.length; i += 160) tx.generate(audio.subarray(i, i + 160));
  const t1 = cpuMs();
  const hdlc = new HdlcReceiver({});
  const rx = new V21Receiver({}, { bit: (b) => hdlc.putBit(b) });
  for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
  const t2 = cpuMs();
  return { tx: (t1 - t0) / SECONDS, rx: (t2 - t1) / SECONDS };
}

ours(); // warm up the JIT
const fg = ours();
const out = await runPeer(buildV21Peer(), ['bench', String(SECONDS)], 60_000);
const m = /BENCH tx_ms_per_s ([\d.]+) rx_ms_per_s ([\d.]+)/.exec(out);
if (!m) throw new Error(`no figures from spandsp-v21-peer: ${out}`);
const sp = { tx: Number(m[1]), rx: Number(m[2]) };
const rows = [
  ['V.21 ch 2 (300 bit/s)', 'faxgate', 'spandsp', 'ratio'],
  ['transmit (HDLC flags)', `${fg.tx.toFixed(3)} ms`, `${sp.tx.toFixed(3)} ms`, `${(fg.tx / sp.tx).toFixed(1)}×`],
  ['receive (+ HDLC)', `${fg.rx.toFixed(3)} ms`, `${sp.rx.toFixed(3)} ms`, `${(fg.rx / sp.rx).toFixed(1)}×`],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`CPU time per second of audio (${SECONDS} s of audio, 160-sample blocks)`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
