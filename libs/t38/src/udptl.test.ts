import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUdptl, encodeUdptl } from './udptl.ts';
import { UdptlSender } from './udptl-sender.ts';
import { UdptlReceiver, type UdptlDelivery } from './udptl-receiver.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

test('UDPTL redundancy form, hand-encoded', () => {
  // seq 0102 | primary: length 01, IFP 06 | choice bit 0 padded to an octet: 00 |
  // count 02 | length 01, IFP 04 | length 01, IFP 02
  const pkt = { seq: 0x0102, primary: bytes('06'), secondary: [bytes('04'), bytes('02')] };
  const enc = encodeUdptl(pkt);
  assert.equal(hex(enc), '010201060002010401' + '02');
  assert.deepEqual(decodeUdptl(enc), pkt);
});

test('UDPTL with no secondaries', () => {
  assert.equal(hex(encodeUdptl({ seq: 7, primary: bytes('00') })), '0007010000' + '00');
});

test('UDPTL parity-FEC form is accepted and its primary read', () => {
  // seq 0005 | 01 1e | choice 1 -> 80 | npackets: length 01, value 03 | fec-data count 01 | 02 aa bb
  const fixed = bytes('0005011e8001030102aabb');
  const p = decodeUdptl(fixed);
  assert.equal(p.seq, 5);
  assert.equal(hex(p.primary), '1e');
  assert.deepEqual(p.fec, { npackets: 3, data: [bytes('aabb')] });
  assert.equal(hex(encodeUdptl(p)), '0005011e8001030102aabb');
});

function ifps(d: UdptlDelivery[]): string[] {
  return d.map((x) => (x.kind === 'ifp' ? hex(x.ifp) + (x.recovered ? 'r' : '') : `lost${x.seq}`));
}

test('receiver rebuilds lost datagrams from secondaries', () => {
  const tx = new UdptlSender(2, 65534); // also crosses the 16-bit wrap
  const dgs = [1, 2, 3, 4, 5, 6].map((n) => tx.frame(Uint8Array.of(n)));
  const rx = new UdptlReceiver();
  const got: string[] = [];
  for (const i of [0, 3, 4, 5]) got.push(...ifps(rx.push(dgs[i]))); // 2nd and 3rd lost
  assert.deepEqual(got, ['01', '02r', '03r', '04', '05', '06']);
  assert.equal(rx.stats.recovered, 2);
});

test('receiver reports what redundancy cannot rebuild', () => {
  const tx = new UdptlSender(1);
  const dgs = [1, 2, 3, 4].map((n) => tx.frame(Uint8Array.of(n)));
  const rx = new UdptlReceiver();
  const got: string[] = [];
  for (const i of [0, 3]) got.push(...ifps(rx.push(dgs[i])));
  assert.deepEqual(got, ['01', 'lost1', '03r', '04']);
});

test('receiver drops duplicates and reorders within its hold window', () => {
  const tx = new UdptlSender(0);
  const dgs = [1, 2, 3, 4].map((n) => tx.frame(Uint8Array.of(n)));
  const rx = new UdptlReceiver(2);
  const got: string[] = [];
  for (const i of [0, 0, 2, 1, 1, 3]) got.push(...ifps(rx.push(dgs[i])));
  assert.deepEqual(got, ['01', '02', '03', '04']);
  assert.equal(rx.stats.duplicates, 2);
  assert.equal(rx.stats.lost, 0);
});

test('flush gives up on a gap', () => {
  const tx = new UdptlSender(0);
  const dgs = [1, 2, 3].map((n) => tx.frame(Uint8Array.of(n)));
  const rx = new UdptlReceiver(5);
  const got: string[] = [];
  for (const i of [0, 2]) got.push(...ifps(rx.push(dgs[i])));
  got.push(...ifps(rx.flush()));
  assert.deepEqual(got, ['01', 'lost1', '03']);
  assert.deepEqual(ifps(rx.push(dgs[1])), []); // too late now
});

test('malformed datagrams are counted, not thrown', () => {
  const rx = new UdptlReceiver();
  assert.deepEqual(rx.push(bytes('00')), []);
  assert.equal(rx.stats.malformed, 1);
});
