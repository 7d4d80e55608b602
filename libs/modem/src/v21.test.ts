import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HdlcReceiver, HdlcTransmitter } from './hdlc.ts';
import { V21Receiver, V21Transmitter } from './v21.ts';
import { CED, CNG, ToneGenerator, powerDbm0, sineAmplitude } from './tones.ts';
import { addNoise, drain, feed, gain, meanSquare, noise, pad, resample } from '../test/v21-channel.ts';

const constant = (bit: number, n: number) => {
  let left = n;
  return () => (left-- > 0 ? bit : -1);
};

function zeroCrossingHz(x: Int16Array): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
  return (n / 2) * (8000 / x.length);
}

test('V.21 ch 2 sends mark (1) at 1650 Hz and space (0) at 1850 Hz, 300 bit/s, at -13 dBm0', () => {
  const mark = drain(new V21Transmitter({ getBit: constant(1, 300) }));
  const space = drain(new V21Transmitter({ getBit: constant(0, 300) }));
  assert.equal(mark.length, 8000, '300 bits last one second');
  assert.ok(Math.abs(zeroCrossingHz(mark) - 1650) < 3);
  assert.ok(Math.abs(zeroCrossingHz(space) - 1850) < 3);
  assert.ok(Math.abs(powerDbm0(meanSquare(mark)) + 13) < 0.2);
});

test('phase is continuous across bit changes (no step larger than the highest tone allows)', () => {
  let i = 0;
  const x = drain(new V21Transmitter({ getBit: () => (i++ < 200 ? i & 1 : -1) }));
  const amp = sineAmplitude(-13);
  const maxStep = amp * 2 * Math.sin((Math.PI * 1850) / 8000) + 2;
  for (let k = 1; k < x.length; k++) assert.ok(Math.abs(x[k] - x[k - 1]) <= maxStep, `jump at ${k}`);
});

function loop(frames: Uint8Array[], line: (x: Int16Array) => Int16Array) {
  const tx = new HdlcTransmitter();
  for (const f of frames) tx.sendFrame(f);
  tx.finish();
  const got: string[] = [];
  const events: string[] = [];
  const hdlc = new HdlcReceiver({ onFrame: (f, ok) => got.push(`${ok ? 'ok' : 'bad'} ${Buffer.from(f).toString('hex')}`) });
  const rx = new V21Receiver({}, { bit: (b) => hdlc.putBit(b), carrier: (up) => events.push(up ? 'up' : 'down') });
  feed(rx, line(pad(drain(new V21Transmitter({ getBit: () => tx.nextBit() })), 100, 100)), 97);
  return { got, events, rx };
}

const FRAMES = [Uint8Array.of(0xff, 0x03, 0x40, 0x31, 0x32, 0x33), Uint8Array.of(0xff, 0x13, 0x80, 0x00, 0xce, 0xf4, 0x80, 0x80, 0x91, 0x02)];
const expected = FRAMES.map((f) => `ok ${Buffer.from(f).toString('hex')}`);

test('frames survive 10 dB SNR, ±500 ppm, and levels from -9 to -40 dBm0', () => {
  const lines: Record<string, (x: Int16Array) => Int16Array> = {
    '10 dB SNR': (x) => addNoise(x, 10, 4, 800, x.length - 800),
    '+500 ppm': (x) => resample(x, 500),
    '-500 ppm': (x) => resample(x, -500),
    '-9 dBm0': (x) => gain(x, 4),
    '-40 dBm0': (x) => gain(x, -27),
  };
  for (const [name, line] of Object.entries(lines)) {
    const { got, events } = loop(FRAMES, line);
    assert.deepEqual(got, expected, name);
    assert.deepEqual(events, ['up', 'down'], name);
  }
});

test('quality: power near the sent level, SNR estimate follows the SNR of the line', () => {
  const clean = loop(FRAMES, (x) => x).rx.quality();
  assert.ok(Math.abs(clean.powerDbm0 + 13) < 1, `power ${clean.powerDbm0}`);
  assert.ok(clean.snrDb > 20, `clean line: ${clean.snrDb} dB`);
  for (const snr of [15, 10, 5]) {
    const q = loop(FRAMES, (x) => addNoise(x, snr, 9, 800, x.length - 800)).rx.quality();
    assert.ok(Math.abs(q.snrDb - snr) < 1.5, `${snr} dB line: estimated ${q.snrDb.toFixed(1)} dB`);
  }
});

test('no carrier for CED, CNG, noise, or a V.21 signal below -48 dBm0', () => {
  const cases: Record<string, Int16Array> = {
    CED: drain(new ToneGenerator(CED)),
    CNG: drain(new ToneGenerator({ ...CNG, totalMs: 4000 })),
    'white noise at -20 dBm0': noise(16000, 22713 ** 2 / 2 / 100, 3),
    'V.21 at -50 dBm0': gain(drain(new V21Transmitter({ getBit: constant(1, 300) })), -37),
  };
  for (const [name, x] of Object.entries(cases)) {
    const events: string[] = [];
    feed(new V21Receiver({}, { carrier: (up) => events.push(String(up)), bit: () => events.push('bit') }), x);
    assert.deepEqual(events, [], name);
  }
});
