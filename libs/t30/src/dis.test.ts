import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDcs, buildDis, parseDcs, parseDis, rateOf, type Capabilities, type SessionParams } from './dis.ts';
import { FALLBACK } from './modulation.ts';
import { FCF, fcfName } from './fcf.ts';
import { decodeIdent, encodeIdent } from './ident.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('FCF octets are T.30 bit strings read backwards', () => {
  // T.30 writes DIS as 0000 0001 (first bit first): the octet's most significant bit
  assert.equal(FCF.DIS, 0x80);
  assert.equal(FCF.DCS, 0x82); // X100 0001 with X = 0
  assert.equal(FCF.MCF, 0x8c);
  assert.equal(FCF.DCN, 0xfa);
  assert.equal(FCF.FCD, 0x06);
  assert.equal(fcfName(FCF.MPS | 1), 'MPS');
});

test('DCS for V.17 14400, fine, MMR, ECM 256, bit by bit', () => {
  const p: SessionParams = {
    modulation: { modem: 'v17', bps: 14400 }, resolution: 'fine', encoding: 'mmr', width: 'A4',
    length: 'unlimited', minScanLineMs: 0, ecm: true, ecmFrameSize: 256, withSubaddress: false, withSenderId: false,
  };
  const fif = buildDcs(p);
  // octet 1 (bits 1-8): none. octet 2 (bits 9-16): bit 10 (0x02), bit 14 (0x20), bit 15 (0x40)
  // octet 3 (bits 17-24): bit 20 (0x08), bits 21-23 = 111 (0x70), extend (0x80)
  // octet 4 (bits 25-32): bit 27 (0x04), bit 31 (0x40), extend
  // octet 5 (bits 33-40): extend only. octet 6 (bits 41-48): bit 45 (0x10)
  assert.equal(hex(fif), '0062f8c48010');
  assert.deepEqual(parseDcs(fif), p);
});

test('DCS rate codes round-trip for every fallback step', () => {
  for (const m of FALLBACK) {
    const fif = buildDcs({ modulation: m, resolution: 'standard', encoding: 'mh', width: 'A4', length: 'A4', minScanLineMs: 20, ecm: false, ecmFrameSize: 256 });
    assert.deepEqual(rateOf(fif), m);
    assert.equal(fif.length, 6);
  }
});

test('DIS offering V.17, fine, MR, MMR with ECM, unlimited length', () => {
  const caps: Capabilities = {
    readyToReceive: true, modems: ['v27ter', 'v29', 'v17'], resolutions: ['standard', 'fine'],
    encodings: ['mh', 'mr', 'mmr'], widths: ['A4'], lengths: ['A4', 'B4', 'unlimited'], minScanLineMs: 0,
    ecm: true, prefers64: false, t38: true, subaddressing: false, password: false,
  };
  const fif = buildDis(caps);
  // bit 3 (0x04); bits 10, 11, 12, 14, 15, 16 -> 0x02+0x04+0x08+0x20+0x40+0x80 = 0xee; bit 20, 21-23, ext
  assert.equal(hex(fif), '04eef8c48010');
  assert.deepEqual(parseDis(fif), caps);
});

test('a DIS from a V.27ter-only, standard-only station', () => {
  const caps = parseDis(Uint8Array.of(0x00, 0x0a, 0x00)); // bits 10 and 12: V.27ter
  assert.deepEqual(caps.modems, ['v27ter']);
  assert.deepEqual(caps.resolutions, ['standard']);
  assert.deepEqual(caps.encodings, ['mh']);
  assert.equal(caps.minScanLineMs, 20);
  assert.equal(caps.ecm, false);
});

test('MMR without ECM is not offered (T.30 Table 2 note)', () => {
  const fif = new Uint8Array(4);
  fif[3] = 0x40; // bit 31 alone
  assert.deepEqual(parseDis(fif).encodings, ['mh']);
});

test('station ids go out last character first, right-aligned', () => {
  const fif = encodeIdent('+1 555 0100');
  assert.equal(fif.length, 20);
  assert.equal(String.fromCharCode(fif[0]), '0');
  assert.equal(String.fromCharCode(fif[10]), '+');
  assert.equal(fif[19], 0x20);
  assert.equal(decodeIdent(fif), '+1 555 0100');
  assert.throws(() => encodeIdent('call me'), RangeError);
});

test('DIS bits 49 and 50 offer SUB and SID; DCS bits 49 and 50 announce them', () => {
  const caps = parseDis(buildDis({ ...parseDis(Uint8Array.of(0, 0x0a, 0)), subaddressing: true, password: true }));
  assert.equal(caps.subaddressing, true);
  assert.equal(caps.password, true);
  const fif = buildDcs({
    modulation: { modem: 'v29', bps: 9600 }, resolution: 'standard', encoding: 'mh', width: 'A4', length: 'A4',
    minScanLineMs: 20, ecm: false, ecmFrameSize: 256, withSubaddress: true, withSenderId: false,
  });
  // octet 7 holds bits 49-56: bit 49 is its least significant bit
  assert.equal(fif.length, 7);
  assert.equal(fif[6], 0x01);
  assert.equal(fif[5] & 0x80, 0x80, 'extend bit 48 set before it');
  assert.equal(parseDcs(fif)?.withSubaddress, true);
});
