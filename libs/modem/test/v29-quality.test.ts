// The receivers' signal-quality figures, which T.30 uses to judge TCF: the SNR estimate must
// follow the channel's SNR, and a receiver must take one transmission after another (TCF, then
// the page) with a fresh training each time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V29Receiver } from '../src/v29-rx.ts';
import { V27terReceiver } from '../src/v27ter-rx.ts';
import type { ModemReceiver, ModemReceiverEvents, SignalQuality } from '../src/qam-types.ts';
import { bitErrors, channel, judgeTransmit, prbs15 } from './fast-modem-judge.ts';

const N = 4000;
const data = prbs15(N);

function qualityAtTraining(make: (ev: ModemReceiverEvents) => ModemReceiver, audio: Int16Array): SignalQuality {
  let q: SignalQuality | undefined;
  const rx = make({ training: (ok, quality) => (q = quality) });
  for (let i = 0; i < audio.length && !q; i += 160) rx.receive(audio.subarray(i, i + 160));
  assert.ok(q, 'training was reported');
  return q;
}

for (const [modem, rate, baud, make] of [
  ['v29', 9600, 2400, (ev: ModemReceiverEvents) => new V29Receiver({ rate: 9600 }, ev)],
  ['v27ter', 4800, 1600, (ev: ModemReceiverEvents) => new V27terReceiver({ rate: 4800 }, ev)],
] as const) {
  // The channel's noise fills 0–4 kHz; the matched filter keeps a band as wide as the baud
  // rate, so the SNR at the decisions is higher by 10·log10(4000 / baud).
  const inBand = 10 * Math.log10(4000 / baud);
  test(`${modem} ${rate}: the SNR estimate at the end of training follows the channel's in-band SNR (within 3 dB at 15 and 25 dB)`, () => {
    // The transmitter's leading silence is cut so the noise starts with the signal.
    const sent = judgeTransmit(modem, rate, N);
    let lead = 0;
    while (sent[lead] === 0) lead++;
    for (const snr of [15, 25]) {
      const q = qualityAtTraining(make, channel(sent.subarray(lead), ['--snr', String(snr), '--seed', String(snr)]));
      assert.ok(Math.abs(q.snrDb - (snr + inBand)) < 3, `channel ${snr} dB (${(snr + inBand).toFixed(1)} dB in band), estimate ${q.snrDb.toFixed(1)} dB`);
      assert.ok(q.powerDbm0 < -10 && q.powerDbm0 > -18, `power ${q.powerDbm0.toFixed(1)} dBm0 for spandsp's −14 dBm0`);
    }
  });

  test(`${modem} ${rate}: after the carrier drops, the SNR figure is the signal's, not its fading tail's`, () => {
    const sent = judgeTransmit(modem, rate, N);
    let lead = 0;
    while (sent[lead] === 0) lead++;
    // The line's noise goes on after the signal: the carrier must still be seen to drop.
    const audio = channel(Int16Array.from([...sent.subarray(lead), ...new Int16Array(4000)]), ['--snr', '25', '--seed', '3']);
    let atTraining = 0;
    let atDown: SignalQuality | undefined;
    const rx: ModemReceiver = make({ training: (_ok, q) => (atTraining = q.snrDb), carrier: (up) => (atDown = up ? undefined : rx.quality()) });
    for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
    assert.ok(atDown, 'carrier dropped');
    assert.ok(Math.abs(atDown.snrDb - (25 + inBand)) < 3, `at carrier down ${atDown.snrDb.toFixed(1)} dB, at training ${atTraining.toFixed(1)} dB, channel ${(25 + inBand).toFixed(1)} dB in band`);
  });

  test(`${modem} ${rate}: one receiver takes two transmissions 75 ms apart, training on each`, () => {
    const one = judgeTransmit(modem, rate, N);
    const audio = channel(Int16Array.from([...one, ...new Int16Array(600), ...one]), ['--law', 'alaw']);
    const bits: string[][] = [[]];
    const events: string[] = [];
    const rx = make({
      bit: (b) => bits.at(-1)!.push(b ? '1' : '0'),
      carrier: (up) => {
        events.push(up ? 'up' : 'down');
        if (!up) bits.push([]);
      },
      training: (ok) => events.push(ok ? 'trained' : 'failed'),
    });
    for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
    rx.receive(new Int16Array(1600));
    assert.deepEqual(events, ['up', 'trained', 'down', 'up', 'trained', 'down']);
    assert.equal(bitErrors(bits[0].join(''), data, 'first transmission'), 0);
    assert.equal(bitErrors(bits[1].join(''), data, 'second transmission'), 0);
  });
}

for (const rate of [9600, 7200] as const) {
  test(`V.29 ${rate}: through a telephone-line band (300–3400 Hz) the equaliser reaches 25 dB by the end of training`, () => {
    const q = qualityAtTraining((ev) => new V29Receiver({ rate }, ev), channel(judgeTransmit('v29', rate, N), ['--line', '1', '--law', 'ulaw']));
    assert.ok(q.snrDb > 25, `SNR ${q.snrDb.toFixed(1)} dB at the end of training`);
  });
}

/** White Gaussian noise at `dbm0`, from a fixed seed. */
function noise(seconds: number, dbm0: number, seed: number): Int16Array {
  const rms = (32768 / Math.SQRT2) * 10 ** ((dbm0 - 3.14) / 20);
  const out = new Int16Array(seconds * 8000);
  let r = seed >>> 0;
  const uniform = () => {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    return (r + 1) / 4294967297;
  };
  for (let i = 0; i < out.length; i++) out[i] = Math.round(rms * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
  return out;
}

for (const [name, make] of [
  ['V.29 9600', (ev: ModemReceiverEvents) => new V29Receiver({ rate: 9600 }, ev)],
  ['V.27 ter 4800', (ev: ModemReceiverEvents) => new V27terReceiver({ rate: 4800 }, ev)],
  ['V.27 ter 2400', (ev: ModemReceiverEvents) => new V27terReceiver({ rate: 2400 }, ev)],
] as const) {
  test(`${name}: 20 s of line noise at −43, −39 and −20 dBm0 is not taken for a signal`, () => {
    for (const [dbm0, seed] of [[-43, 3], [-39, 1], [-20, 2]]) {
      const events: string[] = [];
      let bits = 0;
      const rx = make({ carrier: (up) => events.push(`carrier ${up}`), training: (ok) => events.push(`training ${ok}`), bit: () => bits++ });
      const audio = noise(20, dbm0, seed);
      for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
      assert.deepEqual(events, [], `noise at ${dbm0} dBm0`);
      assert.equal(bits, 0);
    }
  });
}
