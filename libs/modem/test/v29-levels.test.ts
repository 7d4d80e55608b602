// Transmit levels from −6 to −40 dBm0 through G.711 µ-law: spandsp's receiver and ours decode
// our transmitters without error (the gain control and the energy detector cover the range).
// spandsp's V.29 receiver detects no signal below about −26 dBm0 (V.29's own carrier-detect
// threshold), so it judges our V.29 transmitter down to −20 dBm0 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V29Transmitter } from '../src/v29-tx.ts';
import { V29Receiver } from '../src/v29-rx.ts';
import { V27terTransmitter } from '../src/v27ter-tx.ts';
import { V27terReceiver } from '../src/v27ter-rx.ts';
import { bitErrors, bitSource, channel, judgeReceive, prbs15, receiveAll, transmitAll } from './fast-modem-judge.ts';

const N = 3000;
const data = prbs15(N);

for (const levelDbm0 of [-6, -20, -40]) {
  test(`V.29 9600 at ${levelDbm0} dBm0 through µ-law: ${levelDbm0 >= -20 ? "spandsp's receiver and ours" : 'our receiver'}, no bit errors`, () => {
    const audio = channel(transmitAll(new V29Transmitter({ rate: 9600, levelDbm0, getBit: bitSource(data, 0) })), ['--law', 'ulaw']);
    if (levelDbm0 >= -20) assert.equal(bitErrors(judgeReceive('v29', 9600, audio).bits, data, 'spandsp v29_rx'), 0);
    const ours = receiveAll((ev) => new V29Receiver({ rate: 9600 }, ev), audio);
    assert.equal(bitErrors(ours.bits, data, `our V.29 receiver (${ours.events.join(', ')})`), 0);
    assert.equal(ours.events.join(', ').replace(/ snr [\d.]+ dB/, ''), 'carrier-up, training-succeeded, carrier-down');
  });

  test(`V.27 ter 4800 at ${levelDbm0} dBm0 through µ-law: spandsp's receiver and ours, no bit errors`, () => {
    const audio = channel(transmitAll(new V27terTransmitter({ rate: 4800, levelDbm0, getBit: bitSource(data, 0) })), ['--law', 'ulaw']);
    assert.equal(bitErrors(judgeReceive('v27ter', 4800, audio).bits, data, 'spandsp v27ter_rx'), 0);
    const ours = receiveAll((ev) => new V27terReceiver({ rate: 4800 }, ev), audio);
    assert.equal(bitErrors(ours.bits, data, `our V.27 ter receiver (${ours.events.join(', ')})`), 0);
    assert.equal(ours.events.join(', ').replace(/ snr [\d.]+ dB/, ''), 'carrier-up, training-succeeded, carrier-down');
  });
}
