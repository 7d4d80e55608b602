import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSAM, CED, CNG, ToneDetector, ToneGenerator, powerDbm0, sineAmplitude, type ToneEvent, type ToneSpec } from './tones.ts';
import { addNoise, concat, drain, feed, gain, meanSquare, noise, pad } from '../test/v21-channel.ts';

/** Zero crossings per second over a stretch of samples: twice the frequency of a sine. */
function frequencyOf(x: Int16Array, from: number, to: number): number {
  let n = 0;
  for (let i = from + 1; i < to; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
  return (n / 2) * (8000 / (to - from));
}

function detect(x: Int16Array, block = 137): ToneEvent[] {
  const events: ToneEvent[] = [];
  const d = new ToneDetector((e) => events.push(e));
  feed(d, x, block);
  d.receive(new Int16Array(800)); // 100 ms of silence ends a tone that reaches the end
  return events;
}

function tone(spec: Partial<ToneSpec> & { frequency: number }, ms: number): Int16Array {
  return drain(new ToneGenerator({ level: -13, onMs: ms, offMs: 0, totalMs: ms, ...spec }));
}

test('CNG is 1100 Hz, 0.5 s on and 3 s off (T.30 §5.2.1)', () => {
  const g = new ToneGenerator(CNG);
  const x = new Int16Array(8000 * 8);
  assert.equal(g.generate(x), x.length, 'CNG runs until its user stops');
  for (const start of [0, 28000, 56000]) {
    assert.ok(Math.abs(frequencyOf(x, start, start + 4000) - 1100) < 5, `1100 Hz at ${start}`);
    assert.ok(meanSquare(x, start + 3990, start + 4000) > 0, `on until ${start + 4000}`);
    assert.equal(meanSquare(x, start + 4000, Math.min(x.length, start + 28000)), 0, `silent after ${start + 4000}`);
  }
  assert.ok(Math.abs(powerDbm0(meanSquare(x, 0, 4000)) - CNG.level) < 0.2);
});

test('CED is 2100 Hz for 3.3 s, within T.30 §5.2.2 2.6–4 s, then ends', () => {
  const x = drain(new ToneGenerator(CED));
  assert.equal(x.length, 3.3 * 8000);
  assert.ok(Math.abs(frequencyOf(x, 0, x.length) - 2100) < 3);
});

test('CNG bursts are found at every level from -10 to -40 dBm0, in noise at 10 dB SNR', () => {
  for (const level of [-10, -25, -40]) {
    const cng = new Int16Array(8000 * 7);
    new ToneGenerator({ ...CNG, level }).generate(cng);
    const x = addNoise(pad(cng, 300), 10, 7, 2400, 2400 + 4000);
    const ev = detect(x);
    const on = ev.filter((e) => e.tone === 'cng' && e.on);
    const off = ev.filter((e) => e.tone === 'cng' && !e.on);
    assert.equal(on.length, 2, `${level} dBm0: ${JSON.stringify(ev)}`);
    for (const e of off) assert.ok(Math.abs((e.durationMs ?? 0) - 500) <= 40, `${level} dBm0: burst of ${e.durationMs} ms`);
    assert.ok(Math.abs(on[0].at - 2400) <= 160, `first burst starts at ${on[0].at}`);
    assert.equal(ev.filter((e) => e.tone === 'ced').length, 0);
  }
});

test('CNG at the edges of its ±38 Hz tolerance is found', () => {
  for (const f of [1062, 1138]) {
    const ev = detect(tone({ frequency: f }, 500));
    assert.ok(ev.some((e) => e.tone === 'cng' && e.on), `${f} Hz`);
  }
});

test('CED, ANSam and ANSam with phase reversals are each reported as CED lasting their length', () => {
  for (const spec of [CED, ANSAM, { ...ANSAM, phaseReversals: true }, { ...CED, phaseReversals: true }]) {
    const x = addNoise(pad(drain(new ToneGenerator(spec)), 250, 200), 20, 3);
    const ev = detect(x).filter((e) => e.tone === 'ced');
    assert.equal(ev.length, 2, JSON.stringify({ spec, ev }));
    assert.ok(Math.abs(ev[0].at - 2000) <= 160, `starts at ${ev[0].at}`);
    assert.ok(Math.abs((ev[1].durationMs ?? 0) - 3300) <= 40, `lasted ${ev[1].durationMs} ms`);
  }
});

test('no tone is reported for V.21-band signals, other tones, noise, or a CNG below -43 dBm0', () => {
  const cases: Record<string, Int16Array> = {
    '1650 Hz': tone({ frequency: 1650 }, 2000),
    '1850 Hz': tone({ frequency: 1850 }, 2000),
    '1300 Hz': tone({ frequency: 1300 }, 2000),
    '1800 Hz': tone({ frequency: 1800 }, 2000),
    '2250 Hz': tone({ frequency: 2250 }, 2000),
    'white noise at -20 dBm0': noise(8000 * 3, 10 ** (-20 / 10) * 22713 ** 2 / 2, 5),
    'CNG at -50 dBm0': gain(tone({ frequency: 1100, level: -13 }, 1000), -37),
    '1100 Hz 10 dB under a 1800 Hz tone (voice-like)': tone({ frequency: 1800 }, 2000).map((v, i) => v + Math.round(sineAmplitude(-23) * Math.sin((2 * Math.PI * 1100 * i) / 8000))),
    'alternating 1650/1850 every 3.33 ms': concat(Array.from({ length: 300 }, (_, i) => tone({ frequency: i % 2 ? 1650 : 1850 }, 3.375))),
  };
  for (const [name, x] of Object.entries(cases)) assert.deepEqual(detect(x), [], name);
});
