// V.17 against spandsp's V.17 (the judge), both directions, every rate, long train and short
// train (the short one after a long-trained transmission, as T.30 sends TCF and then the image),
// on a clean channel, through G.711 µ-law and A-law, through a telephone-line band filter, with
// noise at 30 dB SNR, ±100 ppm clock offset, ±1 Hz carrier offset and 0–300 ms leading silence.
//
// spandsp's own V.17 receiver fails its training when noise precedes the signal (it does so on
// spandsp's own transmitter too, as its V.27 ter receiver does), so towards spandsp the noisy
// channels carry no leading silence and the leading-silence channels no noise; our receiver
// gets every combination. Towards spandsp, short train is judged on the channels without noise
// or carrier offset only: spandsp's short-train receiver starts from the equaliser it saved at the
// end of the long train's segment 4, and with a 1 Hz carrier offset it fails or passes depending
// on how far the carrier has turned by the short train. It does so on its own transmitter's
// signal too: joined with gaps of 50 to 300 ms, spandsp → spandsp failed at +1 Hz for gaps of
// 62-88 ms and at -1 Hz for 200-300 ms (14400; every rate has such windows), and our signal's
// windows are shifted by some 50 ms (our transmitter starts each transmission at carrier phase
// 0). spandsp's own layout (a 101 ms gap) happens to fall where it passes; ours (75 ms) did not.
// So a carrier offset is judged for the short train towards our receiver only, over gaps (75,
// 150, 250 ms) that include spandsp's failing windows; our receiver passed every gap from 50 to
// 300 ms, from either transmitter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V17Receiver } from '../src/v17-rx.ts';
import { V17Transmitter } from '../src/v17-tx.ts';
import type { V17Rate } from '../src/v17-constellation.ts';
import { bitErrors, bitSource, channel, judgeReceive, prbs15, receiveAll, runJudge, toSamples, transmitAll } from './fast-modem-judge.ts';

const N = 6000;
const data = prbs15(N);
const both: [string, string[]][] = [
  ['clean', []],
  ['G.711 µ-law', ['--law', 'ulaw']],
  ['G.711 A-law', ['--law', 'alaw']],
  ['telephone-line band 300–3400 Hz (Butterworth, phase distortion at the edges), µ-law', ['--line', '1', '--law', 'ulaw']],
  ['30 dB SNR, +100 ppm, +1 Hz, µ-law', ['--snr', '30', '--ppm', '100', '--freq', '1', '--law', 'ulaw', '--seed', '7']],
  ['30 dB SNR, −100 ppm, −1 Hz, A-law', ['--snr', '30', '--ppm', '-100', '--freq', '-1', '--law', 'alaw', '--seed', '8']],
  ['300 ms silence, +100 ppm, −1 Hz, A-law', ['--silence', '300', '--ppm', '100', '--freq', '-1', '--law', 'alaw']],
  ['45 ms silence, −100 ppm, +1 Hz, µ-law', ['--silence', '45', '--ppm', '-100', '--freq', '1', '--law', 'ulaw']],
];
const oursOnly: [string, string[]][] = [
  ['30 dB SNR, +100 ppm, +1 Hz, 300 ms silence, µ-law', ['--snr', '30', '--ppm', '100', '--freq', '1', '--silence', '300', '--law', 'ulaw', '--seed', '9']],
  ['30 dB SNR, −100 ppm, −1 Hz, 45 ms silence, A-law', ['--snr', '30', '--ppm', '-100', '--freq', '-1', '--silence', '45', '--law', 'alaw', '--seed', '10']],
];
const shortTowardsSpandsp = new Set(both.slice(0, 4).map(([name]) => name));

/** Our long-trained transmission of zeros (a TCF), 75 ms of silence, then a short-trained one of the data. */
function ourLongThenShort(rate: V17Rate): Int16Array {
  const first = transmitAll(new V17Transmitter({ rate, getBit: bitSource(new Uint8Array(1500), 0) }));
  const second = transmitAll(new V17Transmitter({ rate, shortTrain: true, getBit: bitSource(data, 0) }));
  const audio = new Int16Array(first.length + 600 + second.length);
  audio.set(first);
  audio.set(second, first.length + 600);
  return audio;
}

/** The same from spandsp's transmitter. */
function judgeLongThenShort(rate: V17Rate): Int16Array {
  return toSamples(runJudge(['tx', 'v17', String(rate), String(N), '64', 'notep', 'short']).stdout);
}

/** Our receiver on `audio`: every signal trains, the last carries the data with no bit errors. */
function ourReception(rate: V17Rate, audio: Int16Array, signals: number): void {
  const got = receiveAll((ev) => new V17Receiver({ rate }, ev), audio);
  const log = got.events.join(', ');
  const want: RegExp[] = [];
  for (let i = 0; i < signals; i++) want.push(/^carrier-up$/, /^training-succeeded/, /^carrier-down$/);
  assert.equal(got.events.length, want.length, log);
  want.forEach((re, i) => assert.match(got.events[i], re, log));
  assert.equal(bitErrors(got.bits, data, `our V.17 receiver (${log})`), 0);
}

/** spandsp's long-then-short transmission, its short train moved to start `gap` samples after the long one ends. */
function judgeLongThenShortWithGap(rate: V17Rate, gap: number): Int16Array {
  const sent = judgeLongThenShort(rate);
  // The long signal ends where the first run of 300 silent samples begins (well past its start).
  let end = -1;
  let zeros = 0;
  for (let i = 8000; i < sent.length && end < 0; i++) {
    zeros = sent[i] === 0 ? zeros + 1 : 0;
    if (zeros === 300) end = i - 299;
  }
  assert.ok(end > 0, 'no gap found in spandsp\'s long-then-short transmission');
  let start = end;
  while (sent[start] === 0) start++;
  const out = new Int16Array(end + gap + sent.length - start);
  out.set(sent.subarray(0, end));
  out.set(sent.subarray(start), end + gap);
  return out;
}

/** SNR for the noise-from-the-first-sample test: a few dB above where each rate starts to make errors. */
const NOISY_START: Record<V17Rate, number> = { 14400: 24, 12000: 20, 9600: 16, 7200: 12 };

for (const rate of [14400, 12000, 9600, 7200] as const) {
  test(`V.17 ${rate}: spandsp's transmitter → our receiver, ${NOISY_START[rate]} dB SNR with noise from the first sample: trains, no bit errors`, () => {
    // No leading silence: the receiver starts on the signal, and its noisy segment 2 must not
    // pass for data past the short train's length.
    const sent = toSamples(runJudge(['tx', 'v17', String(rate), String(N)]).stdout);
    let lead = 0;
    while (sent[lead] === 0) lead++;
    ourReception(rate, channel(sent.subarray(lead), ['--snr', String(NOISY_START[rate]), '--seed', '20']), 1);
  });
  for (const [name, opts] of both) {
    test(`V.17 ${rate} long train: our transmitter → spandsp's receiver, ${name}: no bit errors`, () => {
      const audio = channel(transmitAll(new V17Transmitter({ rate, getBit: bitSource(data, 0) })), opts);
      assert.equal(bitErrors(judgeReceive('v17', rate, audio).bits, data, 'spandsp v17_rx'), 0);
    });
    if (shortTowardsSpandsp.has(name)) {
      test(`V.17 ${rate} short train after a long one: our transmitter → spandsp's receiver, ${name}: no bit errors`, () => {
        const got = judgeReceive('v17', rate, channel(ourLongThenShort(rate), opts), ['short']);
        assert.equal(bitErrors(got.bits, data, 'spandsp v17_rx (short train)'), 0);
      });
    }
  }
  for (const freq of [1, -1]) {
    for (const ms of [75, 150, 250]) {
      test(`V.17 ${rate} short train after a long one ${ms} ms later: spandsp's transmitter → our receiver, ${freq > 0 ? '+' : ''}${freq} Hz: trains, no bit errors`, () => {
        ourReception(rate, channel(judgeLongThenShortWithGap(rate, ms * 8), ['--freq', String(freq)]), 2);
      });
    }
  }
  for (const [name, opts] of [...both, ...oursOnly]) {
    test(`V.17 ${rate} long train: spandsp's transmitter → our receiver, ${name}: trains, no bit errors`, () => {
      ourReception(rate, channel(toSamples(runJudge(['tx', 'v17', String(rate), String(N)]).stdout), opts), 1);
    });
    test(`V.17 ${rate} short train after a long one: spandsp's transmitter → our receiver, ${name}: trains, no bit errors`, () => {
      ourReception(rate, channel(judgeLongThenShort(rate), opts), 2);
    });
  }
}
