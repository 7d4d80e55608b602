import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRtp, encodeRtp, seqDelta, tsDelta } from './rtp-packet.ts';
import { RtpPacketiser } from './rtp-packetiser.ts';
import { g711Decode } from './g711.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('RFC 3550 §5.1 header: V=2, M, PT, sequence, timestamp, SSRC in network order', () => {
  const b = encodeRtp({ payloadType: 8, marker: true, sequence: 0xabcd, timestamp: 0x01020304, ssrc: 0xdeadbeef, payload: Uint8Array.of(0xd5, 0x55) });
  assert.equal(hex(b), '8088abcd01020304deadbeefd555');
  assert.deepEqual(decodeRtp(b), { payloadType: 8, marker: true, sequence: 0xabcd, timestamp: 0x01020304, ssrc: 0xdeadbeef, payload: Uint8Array.of(0xd5, 0x55) });
});

test('CSRC list, header extension and padding are skipped; other versions and short packets refused', () => {
  // V=2 P=1 X=1 CC=1 -> 0xb1; PT 0; CSRC; extension profile 0xbede, 1 word; payload 3 octets; 2 padding octets
  const b = Buffer.from('b1000001' + '00000a00' + '11111111' + '22222222' + 'bede0001' + 'aabbccdd' + '7f7e7d' + '0002', 'hex');
  const p = decodeRtp(new Uint8Array(b));
  assert.ok(p);
  assert.equal(hex(p.payload), '7f7e7d');
  assert.equal(p.timestamp, 0xa00);
  assert.equal(decodeRtp(Uint8Array.of(0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)), undefined, 'version 1');
  assert.equal(decodeRtp(new Uint8Array(11).fill(0x80)), undefined, 'shorter than the fixed header');
  assert.equal(decodeRtp(new Uint8Array(Buffer.from('900000010000000000000001bede0009', 'hex'))), undefined, 'extension longer than the packet');
});

test('sequence and timestamp distances wrap', () => {
  assert.equal(seqDelta(2, 0xfffe), 4);
  assert.equal(seqDelta(0xfffe, 2), -4);
  assert.equal(tsDelta(100, 0xffffff00), 356);
});

test('packetiser: 20 ms PCMU packets, sequence +1 and timestamp +160 with wrap, marker on the first only', () => {
  const pk = new RtpPacketiser({ law: 'ulaw', ssrc: 7, sequence: 0xffff, timestamp: 0xffffff60 });
  const audio = Int16Array.from({ length: 160 }, (_, i) => i * 100 - 8000);
  const a = decodeRtp(pk.packetise(audio));
  const b = decodeRtp(pk.packetise(audio));
  assert.ok(a && b);
  assert.deepEqual([a.payloadType, a.marker, a.sequence, a.timestamp, a.ssrc], [0, true, 0xffff, 0xffffff60, 7]);
  assert.deepEqual([b.marker, b.sequence, b.timestamp], [false, 0, 0]);
  assert.equal(a.payload.length, 160);
  const back = g711Decode('ulaw', a.payload);
  for (let i = 0; i < 160; i++) assert.ok(Math.abs(back[i] - audio[i]) <= 260, `sample ${i}`);
  assert.equal(new RtpPacketiser({ law: 'alaw' }).payloadType, 8);
});
