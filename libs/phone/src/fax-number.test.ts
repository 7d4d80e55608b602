import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaxNumber, matchesPattern, type DialRules } from './index.ts';

const us: DialRules = { country: 'US', outsidePrefix: '', international: ['GB', 'FR'], costlyAllow: [], deny: [], allow: [] };

test('national and international forms normalise to E.164', () => {
  for (const local of ['2125550100', '12125550100', '+12125550100', '1-212-555-0100', '(212) 555-0100']) {
    const r = parseFaxNumber(local, 'US', us);
    assert.ok(r.ok, local);
    assert.equal(r.e164, '+12125550100');
    assert.equal(r.dialString, '12125550100');
  }
  const uk = parseFaxNumber('442079460018', 'US', us);
  assert.ok(uk.ok);
  assert.equal(uk.e164, '+442079460018');
  assert.equal(uk.dialString, '011442079460018');
});

test('dial rules add the outside-line prefix and the country trunk prefix', () => {
  const de: DialRules = { country: 'DE', outsidePrefix: '0', international: ['any'], costlyAllow: [], deny: [], allow: [] };
  const local = parseFaxNumber('030 1234567', 'DE', de);
  assert.ok(local.ok);
  assert.equal(local.e164, '+49301234567');
  assert.equal(local.dialString, '00301234567');
  const abroad = parseFaxNumber('+33 1 23 45 67 89', 'DE', de);
  assert.ok(abroad.ok);
  assert.equal(abroad.dialString, '00033123456789');
});

test('things that cannot be fax numbers are refused with a reason', () => {
  for (const bad of ['hello', '12', '911', '+999123456789', 'jdoe']) {
    const r = parseFaxNumber(bad, 'US', us);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.reason, 'invalid');
  }
});

test('deny and allow lists, and premium-rate numbers, are enforced', () => {
  const rules: DialRules = { ...us, deny: ['+1212555*'] };
  const r = parseFaxNumber('2125550100', 'US', rules);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, 'denied');
  const onlyUk: DialRules = { ...us, allow: ['/^\\+44/'] };
  assert.equal(parseFaxNumber('2125550100', 'US', onlyUk).ok, false);
  const premium = parseFaxNumber('19005550199', 'US', us);
  assert.equal(premium.ok, false);
});

test('patterns: * matches digits, /re/ is a regex', () => {
  assert.ok(matchesPattern('+15551234567', '+1555*'));
  assert.ok(!matchesPattern('+15551234567', '+1556*'));
  assert.ok(matchesPattern('+15551234567', '/4567$/'));
});
