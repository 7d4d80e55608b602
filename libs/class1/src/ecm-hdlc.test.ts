import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hdlcToOctets, octetsToHdlc } from './ecm-hdlc.ts';

test('ECM frames framed for +FTM come back whole from the octets +FRM would deliver, FCS good', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 3, maxLength: 260 }), { minLength: 1, maxLength: 8 }), fc.constantFrom(7200, 9600, 14400), (frames, bps) => {
      const back = octetsToHdlc(hdlcToOctets(frames, bps));
      assert.deepEqual(back.map((f) => [...f.frame]), frames.map((f) => [...f]));
      assert.ok(back.every((f) => f.ok));
    }),
    { numRuns: 200 },
  );
});

test('a damaged octet spoils its frame\'s FCS (or its framing), never another frame', () => {
  const frames = [Uint8Array.of(0xff, 0x03, 0x60, 0, 1, 2, 3, 4, 5, 6, 7), Uint8Array.of(0xff, 0x03, 0x60, 1, 9, 9, 9, 9, 9, 9, 9)];
  const octets = hdlcToOctets(frames, 9600);
  const flags = Math.ceil((9600 * 200) / 8000);
  octets[flags + 6] ^= 0x10;
  const back = octetsToHdlc(octets);
  const good = back.filter((f) => f.ok).map((f) => [...f.frame]);
  assert.deepEqual(good, [[...frames[1]]]);
});

test('noise after the frames (iaxmodem passes demodulated noise before NO CARRIER) adds no frame', () => {
  const frames = [Uint8Array.of(0xff, 0x03, 0x60, 0, 0xaa, 0x55)];
  const noise = Uint8Array.from({ length: 48 }, (_, i) => [0xe3, 0x38, 0x8e][i % 3]);
  const octets = hdlcToOctets(frames, 14400);
  const withNoise = new Uint8Array(octets.length + noise.length);
  withNoise.set(octets);
  withNoise.set(noise, octets.length);
  const back = octetsToHdlc(withNoise).filter((f) => f.ok);
  assert.deepEqual(back.map((f) => [...f.frame]), [[...frames[0]]]);
});
