import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readHeaderFields, scheduleOf, parseWhen } from './fax-schedule.ts';
import { bullPriority } from './call-priority.ts';

const msg = (...headers: string[]) => readHeaderFields(Buffer.from([...headers, 'Subject: hello', '', 'X-Fax-Priority: urgent (in the body: ignored)', ''].join('\r\n')));
const created = '2026-12-06T05:00:00.000Z';
const H3 = 3 * 3_600_000;

test('priority from X-Fax-Priority (name or 1-5), else a subject keyword, else normal; a bad value is noted', () => {
  assert.equal(scheduleOf(msg('X-Fax-Priority: Urgent'), 'x', created, 0).priority, 'urgent');
  assert.equal(scheduleOf(msg('X-Fax-Priority: 5'), 'x', created, 0).priority, 'bulk');
  assert.equal(scheduleOf(msg('X-Fax-Priority: 2'), 'x', created, 0).priority, 'high');
  assert.equal(scheduleOf(msg(), 'Contract [URGENT] please', created, 0).priority, 'urgent');
  assert.equal(scheduleOf(msg(), 'hello', created, 0).priority, 'normal', 'the body is not read');
  const bad = scheduleOf(msg('X-Fax-Priority: asap'), 'x', created, 0);
  assert.equal(bad.priority, 'normal');
  assert.match(bad.notes?.[0] ?? '', /X-Fax-Priority "asap" is not one of urgent, high, normal, low, bulk or 1-5/);
});

test('send-at in RFC 5322 or ISO 8601; the default kill time counts from it (HylaFAX killtime)', () => {
  const s = scheduleOf(msg('X-Fax-Send-At: Sun, 06 Dec 2026 08:30:00 +0100'), undefined, created, H3);
  assert.equal(s.sendAt, '2026-12-06T07:30:00.000Z');
  assert.equal(s.killAt, '2026-12-06T10:30:00.000Z');
  assert.equal(scheduleOf(msg('X-Fax-Send-At: 2026-12-06T06:00'), undefined, created, 0).sendAt, '2026-12-06T06:00:00.000Z', 'no offset: UTC');
  assert.equal(scheduleOf(msg('X-Fax-Send-At: 2026-12-06T04:00:00Z'), undefined, created, 0).sendAt, undefined, 'a time already past sends at once');
  const bad = scheduleOf(msg('X-Fax-Send-At: tomorrow'), undefined, created, H3);
  assert.equal(bad.sendAt, undefined);
  assert.equal(bad.killAt, '2026-12-06T08:00:00.000Z');
  assert.match(bad.notes?.[0] ?? '', /X-Fax-Send-At "tomorrow" is not a date/);
});

test('kill time as a date, a duration, or HylaFAX\'s "now + N hours"; 0 means none', () => {
  assert.equal(scheduleOf(msg('X-Fax-Kill-Time: 2026-12-06T05:30:00Z'), undefined, created, H3).killAt, '2026-12-06T05:30:00.000Z');
  assert.equal(scheduleOf(msg('X-Fax-Kill-Time: 90m'), undefined, created, H3).killAt, '2026-12-06T06:30:00.000Z');
  assert.equal(scheduleOf(msg('X-Fax-Kill-Time: now + 2 hours'), undefined, created, H3).killAt, '2026-12-06T07:00:00.000Z');
  assert.equal(scheduleOf(msg(), undefined, created, 0).killAt, undefined);
  assert.equal(parseWhen('+45s', 0), 45_000);
  assert.equal(parseWhen('soon', 0), undefined);
});

test('folded header lines are unfolded (RFC 5322 §2.2.3)', () => {
  const f = readHeaderFields(Buffer.from('X-Fax-Send-At: Sun, 06 Dec 2026\r\n 09:00:00 +0000\r\n\r\nbody'));
  assert.equal(scheduleOf(f, undefined, created, 0).sendAt, '2026-12-06T09:00:00.000Z');
});

test('BullMQ priorities: every urgent call before every normal one; within a class, rank among the sender\'s queued calls', () => {
  assert.ok(bullPriority('urgent', 99_999) < bullPriority('high', 0));
  assert.ok(bullPriority('normal', 0) < bullPriority('normal', 1));
  assert.ok(bullPriority('bulk', 1e9) <= 2 ** 21, 'within BullMQ\'s range');
  assert.ok(bullPriority('urgent', 0) >= 1, 'never 0, which BullMQ serves before every prioritised job');
});
