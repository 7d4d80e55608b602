// V.27 ter against spandsp's V.27 ter (the judge), both directions, 4800 and 2400 bit/s, on a
// clean channel, through G.711 µ-law and A-law, through a telephone-line band filter, with noise
// at 30 dB SNR, ±100 ppm clock offset, ±1 Hz carrier offset and leading silence, and with the
// talker-echo protection tone.
//
// spandsp's own V.27 ter receiver fails its training when noise precedes the signal (it does so
// on spandsp's own transmitter too), so towards spandsp the noisy channels carry no leading
// silence and the leading-silence channels no noise; our receiver gets every combination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V27terTransmitter } from '../src/v27ter-tx.ts';
import { V27terReceiver } from '../src/v27ter-rx.ts';
import { bitErrors, bitSource, channel, judgeReceive, judgeTransmit, prbs15, receiveAll, transmitAll } from './fast-modem-judge.ts';

const N = 4000;
const data = prbs15(N);
const both: [string, string[]][] = [
  ['telephone-line band 300–3400 Hz (Butterworth, phase distortion at the edges), µ-law', ['--line', '1', '--law', 'ulaw']],
  ['clean', []],
  ['G.711 µ-law', ['--law', 'ulaw']],
  ['G.711 A-law', ['--law', 'alaw']],
  ['30 dB SNR, +100 ppm, +1 Hz, µ-law', ['--snr', '30', '--ppm', '100', '--freq', '1', '--law', 'ulaw', '--seed', '7']],
  ['30 dB SNR, −100 ppm, −1 Hz, A-law', ['--snr', '30', '--ppm', '-100', '--freq', '-1', '--law', 'alaw', '--seed', '8']],
  ['300 ms silence, +100 ppm, −1 Hz, A-law', ['--silence', '300', '--ppm', '100', '--freq', '-1', '--law', 'alaw']],
];
const oursOnly: [string, string[]][] = [
  ['30 dB SNR, +100 ppm, +1 Hz, 300 ms silence, µ-law', ['--snr', '30', '--ppm', '100', '--freq', '1', '--silence', '300', '--law', 'ulaw', '--seed', '9']],
  ['30 dB SNR, −100 ppm, −1 Hz, 45 ms silence, A-law', ['--snr', '30', '--ppm', '-100', '--freq', '-1', '--silence', '45', '--law', 'alaw', '--seed', '10']],
];

function ourReception(rate: 4800 | 2400, audio: Int16Array): void {
  const got = receiveAll((ev) => new V27terReceiver({ rate }, ev), audio);
  const log = got.events.join(', ');
  assert.equal(got.events[0], 'carrier-up', log);
  assert.match(got.events[1] ?? '', /^training-succeeded/, log);
  assert.equal(got.events.at(-1), 'carrier-down', log);
  assert.equal(bitErrors(got.bits, data, `our V.27 ter receiver (${log})`), 0);
}

for (const rate of [4800, 2400] as const) {
  for (const [name, opts] of both) {
    test(`V.27 ter ${rate}: our transmitter → spandsp's receiver, ${name}: no bit errors`, () => {
      const audio = channel(transmitAll(new V27terTransmitter({ rate, getBit: bitSource(data, 0) })), opts);
      assert.equal(bitErrors(judgeReceive('v27ter', rate, audio).bits, data, 'spandsp v27ter_rx'), 0);
    });
    test(`V.27 ter ${rate}: spandsp's transmitter → our receiver, ${name}: trains, no bit errors`, () => {
      ourReception(rate, channel(judgeTransmit('v27ter', rate, N), opts));
    });
  }
  for (const [name, opts] of oursOnly) {
    test(`V.27 ter ${rate}: spandsp's transmitter → our receiver, ${name}: trains, no bit errors`, () => {
      ourReception(rate, channel(judgeTransmit('v27ter', rate, N), opts));
    });
  }
  test(`V.27 ter ${rate}: spandsp's transmitter → our receiver, 16 dB SNR with noise from the first sample: trains, no bit errors`, () => {
    // No leading silence: the receiver starts on the signal and must still find segment 4.
    const sent = judgeTransmit('v27ter', rate, N);
    let lead = 0;
    while (sent[lead] === 0) lead++;
    ourReception(rate, channel(sent.subarray(lead), ['--snr', '16', '--seed', '16']));
  });

  test(`V.27 ter ${rate} with the echo protection tone: our transmitter → spandsp's receiver, µ-law: no bit errors`, () => {
    const audio = channel(transmitAll(new V27terTransmitter({ rate, echoProtection: true, getBit: bitSource(data, 0) })), ['--law', 'ulaw']);
    assert.equal(bitErrors(judgeReceive('v27ter', rate, audio).bits, data, 'spandsp v27ter_rx'), 0);
  });
  test(`V.27 ter ${rate} with the echo protection tone: spandsp's transmitter → our receiver, 30 dB SNR, A-law: trains, no bit errors`, () => {
    ourReception(rate, channel(judgeTransmit('v27ter', rate, N, true), ['--snr', '30', '--law', 'alaw', '--seed', '11']));
  });
}
