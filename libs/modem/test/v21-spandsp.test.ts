// V.21 channel 2 + HDLC judged by spandsp (fsk_rx/hdlc_rx and hdlc_tx/fsk_tx, through
// test/peers/spandsp-v21-peer), in both directions, over the line conditions T.30 meets on a
// G.711 call: clean, µ-law, A-law, white noise at 30 dB SNR, ±100 ppm sample clock, and up to
// 300 ms of silence before the signal. Each case must deliver exactly the frames sent, each
// with a good FCS, and no bad frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { g711Decode, g711Encode, type G711Law } from '../src/g711.ts';
import { HdlcReceiver, HdlcTransmitter, preambleFlags } from '../src/hdlc.ts';
import { V21Receiver, V21Transmitter } from '../src/v21.ts';
import { addNoise, drain, feed, pad, resample } from './v21-channel.ts';
import { buildV21Peer, runPeer } from './v21-peer.ts';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// A T.30 phase B exchange as spandsp's fax_state sends it: CSI, DIS (final), then a 0xFF-heavy
// NSF-like frame that exercises zero insertion, and a long frame.
const FRAMES = [
  h('ff 03 40 20 20 20 20 20 20 20 20 31 32 33 34 35 36 37 38 39 30 2b'),
  h('ff 13 80 00 ce f4 80 80 91 80 80 80 18'),
  h('ff 03 20 ff ff ff fe 7e 7e ff 00 01 fc'),
  Uint8Array.from({ length: 120 }, (_, i) => (i < 2 ? [0xff, 0x03][i] : (i * 37 + 11) & 0xff)),
];

interface Case {
  name: string;
  law?: G711Law;
  snrDb?: number;
  ppm?: number;
  leadMs?: number;
}
const CASES: Case[] = [
  { name: 'clean' },
  { name: 'G.711 µ-law', law: 'ulaw' },
  { name: 'G.711 A-law', law: 'alaw' },
  { name: 'white noise 30 dB SNR', snrDb: 30 },
  { name: '+100 ppm clock', ppm: 100 },
  { name: '-100 ppm clock', ppm: -100 },
  { name: '0 ms lead silence', leadMs: 0 },
  { name: '150 ms lead silence', leadMs: 150 },
  { name: '300 ms lead silence', leadMs: 300 },
  { name: 'µ-law + 30 dB SNR + -100 ppm + 300 ms', law: 'ulaw', snrDb: 30, ppm: -100, leadMs: 300 },
  { name: 'A-law + 30 dB SNR + +100 ppm + 70 ms', law: 'alaw', snrDb: 30, ppm: 100, leadMs: 70 },
];

/** The analogue impairments of a case, applied to linear audio (G.711 is applied by the caller). */
function impair(x: Int16Array, c: Case, seed: number): Int16Array {
  let y = x;
  if (c.ppm) y = resample(y, c.ppm);
  if (c.snrDb !== undefined) y = addNoise(y, c.snrDb, seed);
  return pad(y, c.leadMs ?? 0, 60);
}

let peer: string;
let dir: TempDir;
before(async () => {
  peer = buildV21Peer();
  dir = await tempDir('modem-v21');
});
after(() => dir.remove());

function toFile(x: Int16Array, law?: G711Law): Uint8Array {
  return law ? g711Encode(law, x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function fromFile(b: Buffer, law?: G711Law): Int16Array {
  if (law) return g711Decode(law, new Uint8Array(b));
  const out = new Int16Array(b.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
  return out;
}

function parseFrames(out: string): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^FRAME (OK|BAD) ([0-9a-f]*)$/.exec(line);
    if (m) (m[1] === 'OK' ? ok : bad).push(m[2]);
  }
  return { ok, bad };
}

test('faxgate V.21 + HDLC → spandsp fsk_rx + hdlc_rx: exactly the frames sent, all good', async (t) => {
  let seed = 1;
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const tx = new HdlcTransmitter({ preambleFlags: preambleFlags(300) });
      for (const f of FRAMES) tx.sendFrame(f);
      tx.finish();
      const audio = impair(drain(new V21Transmitter({ getBit: () => tx.nextBit() })), c, seed++);
      const file = join(dir.path, `ours-${seed}.raw`);
      await writeFile(file, toFile(audio, c.law));
      const out = await runPeer(peer, ['rx', file, c.law ?? 'lin']);
      const { ok, bad } = parseFrames(out);
      assert.deepEqual({ ok, bad }, { ok: FRAMES.map(hex), bad: [] }, `spandsp saw:\n${out}`);
      assert.match(out, /FRAMING OK/, 'spandsp recognised the preamble');
    });
  }
});

test('spandsp hdlc_tx + fsk_tx → faxgate V.21 + HDLC: exactly spandsp\'s frames, all good', async (t) => {
  let seed = 100;
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const file = join(dir.path, `theirs-${seed}.raw`);
      const out = await runPeer(peer, ['tx', file, c.law ?? 'lin', String(preambleFlags(300)), FRAMES.map(hex).join(',')]);
      const audio = impair(fromFile(await readFile(file), c.law), c, seed++);
      const ok: string[] = [];
      const bad: string[] = [];
      const log: string[] = [];
      const hdlc = new HdlcReceiver({ onFrame: (f, good) => (good ? ok : bad).push(hex(f)), onFramingOk: () => log.push('framing ok') });
      const rx = new V21Receiver({}, {
        bit: (b) => hdlc.putBit(b),
        carrier: (up) => {
          log.push(`carrier ${up ? 'up' : 'down'}`);
          if (!up) hdlc.reset();
        },
      });
      feed(rx, audio, 131);
      assert.deepEqual({ ok, bad }, { ok: FRAMES.map(hex), bad: [] }, `events: ${log.join(', ')}; spandsp: ${out}`);
      assert.deepEqual(log, ['carrier up', 'framing ok', 'carrier down']);
      const q = rx.quality();
      assert.ok(q.powerDbm0 > -20 && q.powerDbm0 < -5, `spandsp's V.21 level seen as ${q.powerDbm0.toFixed(1)} dBm0`);
    });
  }
});
