import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaxNumber, dialPolicyRefusal, COSTLY_RANGES, type DialRules } from './index.ts';

/** A US gateway as configured out of the box: national calls only, every costly range refused. */
const closed: DialRules = { country: 'US', outsidePrefix: '', international: [], costlyAllow: [], deny: [], allow: [] };
/** International calls open to any country, costly ranges still refused. */
const anyCountry: DialRules = { ...closed, international: ['any'] };

/**
 * One dialable-looking number in each built-in costly range (valid for libphonenumber where
 * its metadata knows the range, so "allowed when configured" is a real acceptance).
 */
const SAMPLES: Record<string, string> = {
  '+870': '+870773111632', '+875': '+875123456789', '+876': '+876123456789', '+877': '+877123456789',
  '+878': '+878101234567890', '+881': '+881612345678', '+882': '+882163456789', '+883': '+883510012345',
  '+888': '+88812345678901', '+979': '+979123456789', '+991': '+991123456789', '+808': '+80812345678',
  '+53': '+5351234567', '+252': '+25271123456', '+675': '+67570123456', '+371': '+37121234567',
  '+224': '+224601123456', '+232': '+23225123456', '+239': '+2399812345', '+245': '+245955012345',
  '+246': '+2463801234', '+247': '+24740123', '+290': '+29051234', '+500': '+50051234',
  '+672': '+672381234', '+674': '+6745551234', '+677': '+6777421234', '+678': '+6785912345',
  '+682': '+68271234', '+683': '+6838884012', '+686': '+68672001234', '+688': '+688901234',
  '+690': '+6907290', '+1268': '+12684641234', '+1284': '+12843001234', '+1473': '+14734031234',
  '+1649': '+16492311234', '+1664': '+16644921234', '+1767': '+17672251234', '+1809': '+18092345678',
  '+1829': '+18292345678', '+1849': '+18492345678', '+1876': '+18762101234',
};

test('the sample table covers every built-in costly range', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), COSTLY_RANGES.map((r) => r.prefix).sort());
});

test('policy table: every costly range is refused by default, even with international calls open', () => {
  for (const range of COSTLY_RANGES) {
    const n = SAMPLES[range.prefix];
    for (const rules of [closed, anyCountry]) {
      const r = parseFaxNumber(n, 'US', rules);
      assert.equal(r.ok, false, `${n} (${range.name}) was accepted`);
      if (!r.ok) {
        assert.equal(r.reason, 'denied', `${n}: ${r.detail}`);
        assert.match(r.detail, new RegExp(`costly range \\(\\${range.prefix} `), n);
        assert.match(r.detail, new RegExp(`FAXGATE_DIAL_COSTLY_ALLOW=\\${range.prefix}`), n);
      }
      assert.match(dialPolicyRefusal(n, rules) ?? '', /costly range/, n);
    }
  }
});

test('policy table: each costly range is dialled once the admin allows it (and international calls there)', () => {
  let accepted = 0;
  for (const range of COSTLY_RANGES) {
    const n = SAMPLES[range.prefix];
    const open: DialRules = { ...anyCountry, costlyAllow: [range.prefix] };
    assert.doesNotMatch(dialPolicyRefusal(n, open) ?? '', /costly/, `${n} still refused with ${range.prefix} allowed`);
    const r = parseFaxNumber(n, 'US', open);
    // Ranges libphonenumber has no numbering plan for (reserved codes) stay "invalid"; the
    // international premium-rate and shared-cost codes stay refused by their type.
    if (r.ok) {
      accepted++;
      assert.equal(r.e164, n);
      assert.equal(dialPolicyRefusal(n, open), undefined, n);
    } else if (r.reason === 'denied') assert.match(r.detail, /is a (premium-rate|shared-cost) number/, n);
    else assert.equal(r.reason, 'invalid', `${n}: ${r.detail}`);
    // Allowing one range does not open the others.
    const other = COSTLY_RANGES.find((x) => x.prefix !== range.prefix && !x.prefix.startsWith(range.prefix))!;
    assert.equal(parseFaxNumber(SAMPLES[other.prefix], 'US', open).ok, false, `${range.prefix} opened ${other.prefix}`);
  }
  // All but the reserved maritime and ITPCS codes (no numbering plan) and +979/+808 (refused by type).
  assert.equal(accepted, COSTLY_RANGES.length - 6, `${accepted} costly samples were dialable when allowed`);
  const all: DialRules = { ...anyCountry, costlyAllow: ['all'] };
  assert.ok(parseFaxNumber('+881612345678', 'US', all).ok);
  assert.ok(parseFaxNumber('+5351234567', 'US', all).ok);
});

test('a country\'s own numbers are never "costly" for a gateway in that country', () => {
  const lv: DialRules = { ...closed, country: 'LV' };
  const r = parseFaxNumber('21234567', 'LV', lv);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.e164, '+37121234567');
  const jm: DialRules = { ...closed, country: 'JM' };
  assert.ok(parseFaxNumber('8762101234', 'JM', jm).ok);
  // ... but premium-rate numbers stay refused by type.
  assert.equal(parseFaxNumber('90123456', 'LV', lv).ok, false);
});

test('international calls are off unless the country is listed or `any`', () => {
  const uk = '+442079460018';
  const off = parseFaxNumber(uk, 'US', closed);
  assert.equal(off.ok, false);
  if (!off.ok) {
    assert.equal(off.reason, 'denied');
    assert.match(off.detail, /international call to GB.*FAXGATE_DIAL_INTERNATIONAL=GB/);
  }
  assert.ok(parseFaxNumber(uk, 'US', { ...closed, international: ['CA', 'GB'] }).ok);
  assert.ok(parseFaxNumber(uk, 'US', anyCountry).ok);
  // Canada shares +1 with the US but is another country.
  assert.equal(parseFaxNumber('16135550100', 'US', closed).ok, false);
  assert.ok(parseFaxNumber('16135550100', 'US', { ...closed, international: ['CA'] }).ok);
  // Non-geographic numbers (international freephone) only with `any`.
  assert.equal(parseFaxNumber('+80012345678', 'US', { ...closed, international: ['GB'] }).ok, false);
  assert.ok(parseFaxNumber('+80012345678', 'US', anyCountry).ok);
});

test('ordinary national numbers are dialled under the default policy', () => {
  for (const [n, country, e164] of [['2125550100', 'US', '+12125550100'], ['(212) 555-0199', 'US', '+12125550199'], ['+1 415 555 0100', 'US', '+14155550100'], ['030 1234567', 'DE', '+49301234567'], ['020 7946 0018', 'GB', '+442079460018'], ['01 23 45 67 89', 'FR', '+33123456789']]) {
    const r = parseFaxNumber(n, country, { ...closed, country });
    assert.ok(r.ok, `${n} in ${country}: ${JSON.stringify(r)}`);
    assert.equal(r.e164, e164);
  }
});

test('a number written without + is read nationally first, and refused when its international reading is costly', () => {
  const r = parseFaxNumber('881612345678', 'US', anyCountry);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.detail, /\+881/);
  // Dominican Republic numbers look domestic in the NANP.
  const dr = parseFaxNumber('8092345678', 'US', anyCountry);
  assert.equal(dr.ok, false);
  if (!dr.ok) assert.match(dr.detail, /\+1809 Dominican Republic/);
});

test('docs/security.md lists every built-in costly range with its reason', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../docs/security.md', import.meta.url), 'utf8');
  for (const r of COSTLY_RANGES) assert.match(doc, new RegExp(`^\\| \`\\${r.prefix}\` \\| ${r.name.replace(/[.()]/g, '\\$&')} \\| \\S`, 'm'), `${r.prefix} ${r.name} is not in the table of docs/security.md`);
});
