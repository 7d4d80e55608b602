import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSenderPriorities, senderPriority } from './sender-priority.ts';
import { readHeaderFields, scheduleOf } from './fax-schedule.ts';

const rules = (text: string) => {
  const p = parseSenderPriorities(text);
  assert.ok(p.ok, p.ok ? '' : p.problem);
  return p.value;
};

test('a sender is classed by its address, else by its domain; others have no class', () => {
  const r = rules(' CEO@Example.com=urgent, @example.com=low ,@newsletter.example.com=bulk,');
  assert.equal(senderPriority(r, 'ceo@example.com'), 'urgent', 'case does not matter; the address wins over its domain');
  assert.equal(senderPriority(r, '<bob@EXAMPLE.com>'), 'low');
  assert.equal(senderPriority(r, 'news@newsletter.example.com'), 'bulk', 'a subdomain has its own entry');
  assert.equal(senderPriority(r, 'x@sub.example.com'), undefined, 'a domain entry is that domain only');
  assert.equal(senderPriority(r, 'carol@other.test'), undefined);
  assert.equal(senderPriority(rules(''), 'carol@other.test'), undefined);
});

test('entries that cannot be read are refused with the entry named', () => {
  for (const [text, problem] of [
    ['ceo@example.com', /"ceo@example.com" is not sender=class/],
    ['ceo@example.com=asap', /"ceo@example.com=asap" is not sender=class \(class one of urgent, high, normal, low, bulk\)/],
    ['example.com=bulk', /"example.com" is neither an address/],
    ['=bulk', /is not sender=class/],
  ] as const) {
    const p = parseSenderPriorities(text);
    assert.equal(p.ok, false, text);
    if (!p.ok) assert.match(p.problem, problem);
  }
});

test('the class applies when the mail names no priority: X-Fax-Priority and a subject keyword win', () => {
  const created = '2026-12-06T05:00:00.000Z';
  const fields = (...h: string[]) => readHeaderFields(Buffer.from([...h, 'Subject: x', '', ''].join('\r\n')));
  assert.equal(scheduleOf(fields(), 'hello', created, 0, 'urgent').priority, 'urgent');
  assert.equal(scheduleOf(fields('X-Fax-Priority: low'), 'hello', created, 0, 'urgent').priority, 'low');
  assert.equal(scheduleOf(fields(), 'report [bulk]', created, 0, 'urgent').priority, 'bulk');
  assert.equal(scheduleOf(fields(), 'hello', created, 0).priority, 'normal');
});
