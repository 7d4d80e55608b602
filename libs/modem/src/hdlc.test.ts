import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc16, fcs16, FCS16_GOOD_REMAINDER, HdlcReceiver, HdlcTransmitter, preambleFlags } from './hdlc.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function bitsOf(tx: HdlcTransmitter, max = 1 << 20): number[] {
  const out: number[] = [];
  for (let b = tx.nextBit(); b >= 0; b = tx.nextBit()) {
    out.push(b);
    if (out.length > max) throw new Error('transmitter does not end');
  }
  return out;
}

function receive(bits: number[]) {
  const frames: Array<{ hex: string; ok: boolean }> = [];
  const log: string[] = [];
  const rx = new HdlcReceiver({
    onFrame: (f, ok) => {
      frames.push({ hex: hex(f), ok });
      log.push(`frame ${ok}`);
    },
    onFramingOk: () => log.push('framing'),
    onAbort: () => log.push('abort'),
  });
  for (const b of bits) rx.putBit(b);
  return { frames, log, rx };
}

test('FCS is the CRC-16 of ISO/IEC 13239 (check value of "123456789" is 0x906E, sent low octet first)', () => {
  assert.equal(hex(fcs16(new TextEncoder().encode('123456789'))), '6e90');
  const frame = Uint8Array.of(0xff, 0x13, 0x84, 0x00, 0x46);
  const whole = new Uint8Array([...frame, ...fcs16(frame)]);
  assert.equal(crc16(whole), FCS16_GOOD_REMAINDER);
});

test('T.30 §5.3.1 preamble: 1 s ± 15 % of flags at 300 bit/s', () => {
  const n = preambleFlags(300);
  assert.ok((n * 8) / 300 >= 0.85 && (n * 8) / 300 <= 1.15, `${n} flags`);
  const t = new HdlcTransmitter();
  t.finish();
  const bits = bitsOf(t);
  assert.equal(bits.length % 8, 0);
  for (let i = 0; i < bits.length; i += 8) assert.deepEqual(bits.slice(i, i + 8), [0, 1, 1, 1, 1, 1, 1, 0]);
  assert.equal(bits.length / 8, n + 2);
});

test('frames go through transmitter and receiver unchanged, with good FCS (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 3, maxLength: 256 }), { minLength: 1, maxLength: 5 }), (frames) => {
      const tx = new HdlcTransmitter({ preambleFlags: 3 });
      for (const f of frames) tx.sendFrame(f);
      tx.finish();
      const { frames: got, rx } = receive(bitsOf(tx));
      assert.deepEqual(got, frames.map((f) => ({ hex: hex(f), ok: true })));
      assert.equal(rx.stats.goodFrames, frames.length);
    }),
    { numRuns: 200, seed: 13 },
  );
});

test('zero insertion: no six 1s in a row between flags, even for a frame of 0xFF', () => {
  const tx = new HdlcTransmitter({ preambleFlags: 1, trailingFlags: 0 });
  tx.sendFrame(new Uint8Array(20).fill(0xff));
  tx.finish();
  const bits = bitsOf(tx).join('');
  const body = bits.slice(8, -8);
  assert.ok(!body.includes('111111'), body);
  assert.ok(body.includes('111110'), 'inserted zeros are there');
  assert.deepEqual(receive(bits.split('').map(Number)).frames, [{ hex: 'ff'.repeat(20), ok: true }]);
});

test('a flipped bit is reported as a bad FCS, never as a good frame', () => {
  const frame = Uint8Array.of(0xff, 0x13, 0x80, 0x00, 0xce, 0xf4, 0x80, 0x80, 0x91);
  const tx = new HdlcTransmitter({ preambleFlags: 2 });
  tx.sendFrame(frame);
  tx.finish();
  const clean = bitsOf(tx);
  let bad = 0;
  for (let i = 16; i < clean.length - 24; i++) {
    const bits = clean.slice();
    bits[i] ^= 1;
    const { frames } = receive(bits);
    assert.ok(!frames.some((f) => f.ok), `bit ${i}: a corrupted frame passed its FCS`);
    if (frames.some((f) => !f.ok)) bad++;
  }
  assert.ok(bad > 0, 'some corruptions are seen as bad-FCS frames');
});

test('preamble gives framing-ok; an abort drops the frame in progress, the next frame is received', () => {
  const tx = new HdlcTransmitter({ preambleFlags: 10 });
  tx.sendFrame(Uint8Array.of(0xff, 0x03, 0x01, 0x02));
  tx.finish();
  const bits = bitsOf(tx);
  // Cut the frame after 20 bits, abort it, then send a whole frame.
  const preamble = bits.slice(0, 80);
  const partial = bits.slice(80, 100);
  const rest = new HdlcTransmitter({ preambleFlags: 2 });
  rest.sendFrame(Uint8Array.of(0xff, 0x13, 0x21));
  rest.finish();
  const { frames, log, rx } = receive([...preamble, ...partial, 1, 1, 1, 1, 1, 1, 1, 1, ...bitsOf(rest)]);
  assert.deepEqual(log, ['framing', 'abort', 'frame true']);
  assert.deepEqual(frames, [{ hex: 'ff1321', ok: true }]);
  assert.equal(rx.stats.aborts, 1);
});

test('the transmitter sends idle flags while its queue is empty, then ends after finish()', () => {
  const tx = new HdlcTransmitter({ preambleFlags: 1, trailingFlags: 1 });
  const idle: number[] = [];
  for (let i = 0; i < 80; i++) idle.push(tx.nextBit());
  assert.equal(idle.join(''), '01111110'.repeat(10));
  tx.sendFrame(Uint8Array.of(0xff, 0x13, 0x2f));
  tx.finish();
  const rest = bitsOf(tx);
  assert.equal(tx.nextBit(), -1);
  assert.deepEqual(receive([...idle, ...rest]).frames, [{ hex: 'ff132f', ok: true }]);
});

test('an ECM frame of 256 data octets (262 with header and FCS) is received; a longer one is not', () => {
  const ecm = new Uint8Array(260);
  ecm.set([0xff, 0x03, 0x60, 0x05]);
  for (let i = 4; i < ecm.length; i++) ecm[i] = (i * 7) & 0xff;
  const tooLong = new Uint8Array(261).fill(0x55);
  const tx = new HdlcTransmitter({ preambleFlags: 2 });
  tx.sendFrame(ecm);
  tx.sendFrame(tooLong);
  tx.finish();
  const { frames, rx } = receive(bitsOf(tx));
  assert.deepEqual(frames, [{ hex: hex(ecm), ok: true }]);
  assert.equal(rx.stats.lengthErrors, 1);
});
