import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DLE, DleDecoder, ETX, SUB, dleDecode, dleEncode } from './dle.ts';

test('DLE octets are doubled and <DLE><ETX> ends the block', () => {
  assert.deepEqual([...dleEncode(Uint8Array.of(0xff, 0x10, 0x03, 0x10))], [0xff, 0x10, 0x10, 0x03, 0x10, 0x10, 0x10, 0x03]);
  assert.deepEqual([...dleEncode(Uint8Array.of(0x10), false)], [0x10, 0x10]);
});

test('the decoder turns <DLE><SUB> into two DLE octets and drops other <DLE><x> pairs', () => {
  const { data, rest } = dleDecode(Uint8Array.of(1, DLE, SUB, 2, DLE, 0x2c, 3, DLE, DLE, DLE, ETX, 0x0d, 0x0a));
  assert.deepEqual([...data], [1, DLE, DLE, 2, 3, DLE]);
  assert.deepEqual([...rest], [0x0d, 0x0a]);
});

test('a block without <DLE><ETX> is refused', () => {
  assert.throws(() => dleDecode(Uint8Array.of(1, 2, DLE, DLE)), /no <DLE><ETX>/);
});

test('property: decode(encode(x)) = x, however the stream is cut into chunks', () => {
  fc.assert(
    fc.property(
      // Bias towards DLE, ETX and SUB so the interesting cases come up often.
      fc.array(fc.oneof(fc.constantFrom(DLE, ETX, SUB), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }),
      (bytes, cuts, after) => {
        const data = Uint8Array.from(bytes);
        const stream = new Uint8Array([...dleEncode(data), ...after]);
        const decoder = new DleDecoder();
        const out: number[] = [];
        let rest: number[] = [];
        let pos = 0;
        for (let k = 0; pos < stream.length; k++) {
          const len = cuts[k % cuts.length];
          const d = decoder.push(stream.subarray(pos, pos + len));
          out.push(...d.data);
          pos += len;
          if (d.ended) {
            rest = [...d.rest, ...stream.subarray(pos)];
            break;
          }
        }
        assert.ok(decoder.ended, 'the end mark was found');
        assert.deepEqual(out, bytes);
        assert.deepEqual(rest, after);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: an encoded block holds no lone DLE and exactly one <DLE><ETX>, at its end', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
      const enc = dleEncode(data);
      let ends = 0;
      for (let i = 0; i < enc.length; i++) {
        if (enc[i] !== DLE) continue;
        assert.ok(enc[i + 1] === DLE || enc[i + 1] === ETX, `DLE at ${i} is followed by ${enc[i + 1]}`);
        if (enc[i + 1] === ETX) ends++;
        i++;
      }
      assert.equal(ends, 1);
      assert.deepEqual([...enc.subarray(-2)], [DLE, ETX]);
    }),
  );
});
