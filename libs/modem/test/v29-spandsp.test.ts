// V.29 against spandsp's V.29 (the judge), both directions, 9600 and 7200 bit/s, on a clean
// channel, through G.711 µ-law and A-law, through a telephone-line band filter, and with noise
// at 30 dB SNR, ±100 ppm clock offset, ±1 Hz carrier offset and leading silence. spandsp's
// transmitter may also put its optional talker-echo protection tone (unmodulated carrier, then
// 20 ms of silence) before the training; our receiver must not take the tone for the signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V29Transmitter } from '../src/v29-tx.ts';
import { V29Receiver } from '../src/v29-rx.ts';
import { bitErrors, bitSource, channel, judgeReceive, judgeTransmit, prbs15, receiveAll, transmitAll } from './fast-modem-judge.ts';

const N = 6000;
const data = prbs15(N);
const channels: [string, string[]][] = [
  ['telephone-line band 300–3400 Hz (Butterworth, phase distortion at the edges), µ-law', ['--line', '1', '--law', 'ulaw']],
  ['clean', []],
  ['G.711 µ-law', ['--law', 'ulaw']],
  ['G.711 A-law', ['--law', 'alaw']],
  ['30 dB SNR, +100 ppm, +1 Hz, 300 ms silence, µ-law', ['--snr', '30', '--ppm', '100', '--freq', '1', '--silence', '300', '--law', 'ulaw', '--seed', '7']],
  ['30 dB SNR, −100 ppm, −1 Hz, 45 ms silence, A-law', ['--snr', '30', '--ppm', '-100', '--freq', '-1', '--silence', '45', '--law', 'alaw', '--seed', '8']],
];

for (const rate of [9600, 7200] as const) {
  test(`V.29 ${rate}: spandsp's transmitter → our receiver, 20 dB SNR with noise from the first sample: trains, no bit errors`, () => {
    const sent = judgeTransmit('v29', rate, N);
    let lead = 0;
    while (sent[lead] === 0) lead++;
    const got = receiveAll((ev) => new V29Receiver({ rate }, ev), channel(sent.subarray(lead), ['--snr', '20', '--seed', '20']));
    assert.match(got.events[1] ?? '', /^training-succeeded/, got.events.join(', '));
    assert.equal(bitErrors(got.bits, data, `our V.29 receiver (${got.events.join(', ')})`), 0);
  });

  for (const [name, opts] of [['30 dB SNR, A-law', ['--snr', '30', '--law', 'alaw', '--seed', '3']], ['300 ms silence, +100 ppm, −1 Hz, µ-law', ['--silence', '300', '--ppm', '100', '--freq', '-1', '--law', 'ulaw']]] as [string, string[]][]) {
    test(`V.29 ${rate} with spandsp's echo protection tone: spandsp's transmitter → our receiver, ${name}: trains once, no bit errors`, () => {
      const audio = channel(judgeTransmit('v29', rate, N, true), opts);
      const got = receiveAll((ev) => new V29Receiver({ rate }, ev), audio);
      const log = got.events.join(', ');
      assert.deepEqual(got.events.map((e) => e.replace(/ snr .*/, '')), ['carrier-up', 'training-succeeded', 'carrier-down'], log);
      assert.equal(bitErrors(got.bits, data, `our V.29 receiver (${log})`), 0);
    });
  }

  for (const [name, opts] of channels) {
    test(`V.29 ${rate}: our transmitter → spandsp's receiver, ${name}: no bit errors`, () => {
      const audio = channel(transmitAll(new V29Transmitter({ rate, getBit: bitSource(data, 0) })), opts);
      const got = judgeReceive('v29', rate, audio);
      assert.equal(bitErrors(got.bits, data, 'spandsp v29_rx'), 0);
    });

    test(`V.29 ${rate}: spandsp's transmitter → our receiver, ${name}: trains, no bit errors`, () => {
      const audio = channel(judgeTransmit('v29', rate, N), opts);
      const got = receiveAll((ev) => new V29Receiver({ rate }, ev), audio);
      assert.equal(got.events[0], 'carrier-up', got.events.join(', '));
      assert.match(got.events[1] ?? '', /^training-succeeded/, got.events.join(', '));
      assert.equal(got.events.at(-1), 'carrier-down', got.events.join(', '));
      assert.equal(bitErrors(got.bits, data, `our V.29 receiver (${got.events.join(', ')})`), 0);
    });
  }
}
