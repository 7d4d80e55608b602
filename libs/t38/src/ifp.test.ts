import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIfp, encodeIfp, INDICATORS, DATA_TYPES, FIELD_TYPES, type IfpPacket } from './ifp.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Each vector worked out bit by bit from T.38 Annex A and X.691, and matched against what
// spandsp 0.0.6's t38_core emits for the same packet.
const vectors: Array<[string, IfpPacket, 0 | 2, string]> = [
  // 0 (no data-field) 0 (t30-indicator) 0 (root) 0000 -> 0x00
  ['no-signal', { type: 'indicator', indicator: 'no-signal' }, 0, '00'],
  // 0 0 0 0011 + pad -> 0000 0110
  ['v21-preamble', { type: 'indicator', indicator: 'v21-preamble' }, 0, '06'],
  ['v17-14400-long-training', { type: 'indicator', indicator: 'v17-14400-long-training' }, 0, '1e'],
  // 0 0 1 (extension) 0 (small) 000001 -> 0010 0000 01.. -> 20 40
  ['v8-signal (ext)', { type: 'indicator', indicator: 'v8-signal' }, 2, '2040'],
  // 1 (fields) 1 (t30-data) 0 0000 (v21) pad | count 01 | 1 (data) 000 (hdlc-data) pad | len-1 0002 | ff 13 80
  ['v21 hdlc-data', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'hdlc-data', data: bytes('ff1380') }] }, 0, 'c001800002ff1380'],
  // v2 field type has an extension bit: 1 0 010 -> 1001 0000
  ['v21 hdlc-fcs-OK v2', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'hdlc-fcs-OK', data: bytes('ff1380') }] }, 2, 'c001900002ff1380'],
  // v0: 0 (no data) 101 (hdlc-fcs-BAD-sig-end) -> 0101 0000
  ['v21 hdlc-fcs-BAD-sig-end', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'hdlc-fcs-BAD-sig-end' }] }, 0, 'c00150'],
  ['v17-14400 t4-non-ecm-data', { type: 'data', dataType: 'v17-14400', fields: [{ fieldType: 't4-non-ecm-data', data: bytes('00') }] }, 0, 'd001e0000000'],
  ['v29-9600 t4-non-ecm-sig-end v2', { type: 'data', dataType: 'v29-9600', fields: [{ fieldType: 't4-non-ecm-sig-end' }] }, 2, 'c80138'],
  // two fields: hdlc-data ff13 then hdlc-fcs-OK-sig-end without data (0 100 -> 0x40)
  ['two fields', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'hdlc-data', data: bytes('ff13') }, { fieldType: 'hdlc-fcs-OK-sig-end' }] }, 0, 'c002800001ff1340'],
  // 1 1 1 (ext) 0 000000 (v8) -> 1110 0000 00.. then count
  ['v8 data (ext)', { type: 'data', dataType: 'v8', fields: [{ fieldType: 'hdlc-data', data: bytes('ff1380') }] }, 2, 'e00001800002ff1380'],
  // cm-message: 1 (data) 1 (ext) 0 (small) 000000 -> 1100 0000 0... then aligned length
  ['cm-message (ext field)', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'cm-message', data: bytes('ff1380') }] }, 2, 'c001c0000002ff1380'],
  // jm-message, no data: 0 1 0 000001 -> 0100 0000 1... (spandsp writes 40 40 here: it shifts V.34 extension values)
  ['jm-message no data', { type: 'data', dataType: 'v21', fields: [{ fieldType: 'jm-message' }] }, 2, 'c0014080'],
];

for (const [name, pkt, version, expected] of vectors) {
  test(`IFP ${name} encodes to ${expected}`, () => {
    assert.equal(hex(encodeIfp(pkt, version)), expected);
    assert.deepEqual(decodeIfp(bytes(expected), version), pkt);
  });
}

test('every indicator, data type and field type round-trips in version 2', () => {
  for (const indicator of INDICATORS) {
    const p: IfpPacket = { type: 'indicator', indicator };
    assert.deepEqual(decodeIfp(encodeIfp(p, 2), 2), p);
  }
  for (const dataType of DATA_TYPES) {
    for (const fieldType of FIELD_TYPES) {
      const p: IfpPacket = { type: 'data', dataType, fields: [{ fieldType, data: new Uint8Array(300).fill(7) }, { fieldType }] };
      assert.deepEqual(decodeIfp(encodeIfp(p, 2), 2), p);
    }
  }
});

test('version 0 refuses what its ASN.1 cannot express', () => {
  assert.throws(() => encodeIfp({ type: 'indicator', indicator: 'v8-ansam' }, 0), RangeError);
  assert.throws(() => encodeIfp({ type: 'data', dataType: 'v21', fields: [{ fieldType: 'cm-message' }] }, 0), RangeError);
});

test('a long field uses the two-octet constrained length', () => {
  const data = new Uint8Array(256).fill(0xaa);
  const enc = encodeIfp({ type: 'data', dataType: 'v17-14400', fields: [{ fieldType: 'hdlc-data', data }] }, 0);
  // 1 1 0 1000 (v17-14400) | count 01 | 1 000 | 256-1 = 00ff
  assert.equal(hex(enc.subarray(0, 5)), 'd0018000ff');
  assert.equal(enc.length, 5 + 256);
});

test('truncated packets are rejected', () => {
  assert.throws(() => decodeIfp(bytes('c001800002ff13'), 0), /truncated/);
  assert.throws(() => decodeIfp(new Uint8Array(0), 0), /truncated/);
});
