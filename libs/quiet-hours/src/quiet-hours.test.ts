import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuietHours } from './quiet-hours.ts';
import { localMinuteOfDay, parseQuietHours } from './quiet-hours-rules.ts';
import { COUNTRY_TIME_ZONES } from './country-time-zones.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test('the setting: countries, prefixes, * and a named zone; mistakes are refused with the entry named', () => {
  const ok = parseQuietHours(' de=22:00-07:00, +1212=21:00-08:00@America/New_York ,*=23:30-24:00');
  assert.ok(ok.ok);
  assert.deepEqual(ok.rules.map((r) => [r.key, r.window.startMin, r.window.endMin, r.window.zone]), [['DE', 1320, 420, undefined], ['+1212', 1260, 480, 'America/New_York'], ['*', 1410, 0, undefined]]);
  assert.deepEqual(parseQuietHours(''), { ok: true, rules: [] });
  for (const [bad, why] of [['DE=22-07', /not COUNTRY=HH:MM-HH:MM/], ['DE=25:00-07:00', /not a time of day/], ['DE=07:00-07:00', /starts where it ends/], ['DE=22:00-07:00@Mars/Base', /Mars\/Base is not a time zone/], ['DE=22:00-07:00,de=21:00-06:00', /DE is given twice/], ['DEU=22:00-07:00', /not COUNTRY/]] as const) {
    const p = parseQuietHours(bad);
    assert.ok(!p.ok, bad);
    assert.match(p.problem, why);
  }
});

test('a German number at 22:30 Berlin time waits until 07:00 Berlin time; at 07:00 it goes at once', () => {
  const q = new QuietHours('DE=22:00-07:00');
  const w = q.waitFor('+4930123456', at('2026-12-06T21:30:00Z'));
  assert.equal(iso(w?.until), '2026-12-07T06:00:00.000Z');
  assert.match(w!.why, /quiet hours 22:00-07:00 for DE in Europe\/Berlin, Europe\/Busingen/);
  assert.equal(q.waitFor('+4930123456', at('2026-12-07T06:00:00Z')), undefined);
  assert.equal(q.waitFor('+4930123456', at('2026-12-06T20:59:59Z')), undefined, '21:59:59 in Berlin is before the window');
  assert.equal(q.waitFor('+33142685300', at('2026-12-06T21:30:00Z')), undefined, 'no rule for France');
});

test('a window that does not cross midnight, and the * entry for every other country', () => {
  const q = new QuietHours('FR=12:00-14:00,*=22:00-07:00');
  assert.equal(iso(q.waitFor('+33142685300', at('2026-12-06T11:15:00Z'))?.until), '2026-12-06T13:00:00.000Z', '12:15 in Paris waits for 14:00 (13:00 UTC)');
  assert.equal(q.waitFor('+33142685300', at('2026-12-06T22:30:00Z')), undefined, 'FR has its own rule: * does not apply to it');
  // Tokyo is UTC+9 without DST: 23:00 local is 14:00 UTC, 07:00 local is 22:00 UTC.
  const w = q.waitFor('+81312345678', at('2026-12-06T14:00:00Z'));
  assert.equal(iso(w?.until), '2026-12-06T22:00:00.000Z');
  assert.match(w!.why, /for JP in Asia\/Tokyo/);
});

test('across a DST change the window ends at its local time (EU autumn and spring)', () => {
  const q = new QuietHours('DE=22:00-07:00');
  // 2026-10-25 03:00 CEST -> 02:00 CET: 07:00 CET is 06:00 UTC.
  assert.equal(iso(q.waitFor('+4930123456', at('2026-10-24T21:00:00Z'))?.until), '2026-10-25T06:00:00.000Z');
  // 2026-03-29 02:00 CET -> 03:00 CEST: 07:00 CEST is 05:00 UTC.
  assert.equal(iso(q.waitFor('+4930123456', at('2026-03-28T22:00:00Z'))?.until), '2026-03-29T05:00:00.000Z');
});

test('a country of several zones is quiet while any of them is; a +prefix with a zone narrows it', () => {
  const q = new QuietHours('US=22:00-07:00,+1212=22:00-07:00@America/New_York');
  assert.ok(COUNTRY_TIME_ZONES.US.includes('Pacific/Honolulu'));
  // 12:30 UTC on 2026-12-06: 07:30 in New York, 02:30 in Honolulu (UTC-10, no DST) -> 17:00 UTC.
  const us = q.waitFor('+13125550123', at('2026-12-06T12:30:00Z'));
  assert.equal(iso(us?.until), '2026-12-06T17:00:00.000Z');
  assert.match(us!.why, /every time zone of US/);
  for (const zone of COUNTRY_TIME_ZONES.US) {
    const m = localMinuteOfDay(us!.until, zone);
    assert.ok(m >= 7 * 60 && m < 22 * 60, `${zone} is out of its quiet hours at the end (${m} min)`);
  }
  assert.equal(q.waitFor('+12125550123', at('2026-12-06T12:30:00Z')), undefined, 'the New York prefix rule: 07:30 there');
  assert.equal(iso(q.waitFor('+12125550123', at('2026-12-06T11:30:00Z'))?.until), '2026-12-06T12:00:00.000Z');
});

test('zones that together leave no free minute: the first zone decides', () => {
  // Kiribati spans UTC+12 to UTC+14 and two hours of free time per zone do not overlap.
  const q = new QuietHours('KI=09:00-07:00');
  assert.ok(COUNTRY_TIME_ZONES.KI.length >= 3);
  const w = q.waitFor('+68675012345', at('2026-12-06T00:00:00Z'));
  assert.ok(w, 'quiet');
  assert.equal(localMinuteOfDay(w.until, COUNTRY_TIME_ZONES.KI[0]), 7 * 60);
});

test('on a clock of its own, the time of day is read from that clock and the end is given in wall-clock time', () => {
  // The clock reads 22:30 Berlin time at wall instant 1_000_000 and runs twice as fast.
  const reading = at('2026-12-06T21:30:00Z');
  const clock = { at: (wall: number) => reading + (wall - 1_000_000) * 2, wallAt: (t: number) => 1_000_000 + Math.ceil((t - reading) / 2) };
  const q = new QuietHours('DE=22:00-07:00', clock);
  const w = q.waitFor('+4930123456', 1_000_000);
  // 8.5 h of the clock until 07:00 Berlin time are 4.25 h of wall clock.
  assert.equal(w?.until, 1_000_000 + 4.25 * 3600_000);
  assert.equal(q.waitFor('+4930123456', 1_000_000 + 4.25 * 3600_000), undefined, 'at the end in wall-clock time the window is over');
  assert.ok(q.waitFor('+4930123456', 1_000_000 + 4.25 * 3600_000 - 1), 'a millisecond before, it is not');
});
