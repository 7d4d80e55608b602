import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseCover, resolveCoverTemplate } from './cover-select.ts';
import { DEFAULT_COVER_TEMPLATE, fillTemplate } from './cover-page.ts';

test('X-Fax-Cover header and subject keyword choose or skip the cover', () => {
  assert.deepEqual(chooseCover('none', 'Hi', 'cover', true), { skip: true, subject: 'Hi' });
  assert.deepEqual(chooseCover(' Legal ', 'Hi', 'cover', false), { skip: false, name: 'Legal', subject: 'Hi' });
  assert.deepEqual(chooseCover(undefined, 'Invoice 42 cover:none', 'cover', true), { skip: true, subject: 'Invoice 42' });
  assert.deepEqual(chooseCover(undefined, '[cover:urgent] Invoice', 'cover', true), { skip: false, name: 'urgent', subject: 'Invoice' });
  // The header wins over the keyword; the keyword is still taken out of the subject.
  assert.deepEqual(chooseCover('none', 'Invoice cover:urgent', 'cover', true), { skip: true, subject: 'Invoice' });
  assert.deepEqual(chooseCover(undefined, 'discover:this', 'cover', true), { skip: false, subject: 'discover:this' });
  assert.deepEqual(chooseCover(undefined, 'Plain', 'cover', false), { skip: true, subject: 'Plain' });
  assert.deepEqual(chooseCover('../etc/passwd', 'x', 'cover', true), { skip: false, subject: 'x' });
});

test('templates: sections, escaping, unknown names empty', () => {
  const t = '{{#to_name}}To {{to_name}}{{/to_name}}{{^to_name}}To whom it may concern{{/to_name}} – {{subject}} {{nope}}';
  assert.equal(fillTemplate(t, { to_name: 'Bob <b>', subject: 'a & b' }), 'To Bob &lt;b&gt; – a &amp; b ');
  assert.equal(fillTemplate(t, { to_name: '', subject: 'x' }), 'To whom it may concern – x ');
});

test('template lookup: by name, per sender, per domain, default, built-in', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-covers-'));
  try {
    await mkdir(join(dir, 'senders'));
    await mkdir(join(dir, 'domains'));
    await writeFile(join(dir, 'urgent.html'), 'URGENT');
    await writeFile(join(dir, 'senders', 'alice@example.com.html'), 'ALICE');
    await writeFile(join(dir, 'domains', 'example.com.html'), 'EXAMPLE');
    assert.deepEqual(await resolveCoverTemplate(dir, 'urgent', 'alice@example.com'), { template: 'URGENT', notice: undefined });
    assert.deepEqual(await resolveCoverTemplate(dir, undefined, 'Alice@Example.com'), { template: 'ALICE', notice: undefined });
    assert.deepEqual(await resolveCoverTemplate(dir, undefined, 'bob@example.com'), { template: 'EXAMPLE', notice: undefined });
    assert.equal((await resolveCoverTemplate(dir, undefined, 'carol@other.org')).template, DEFAULT_COVER_TEMPLATE);
    await writeFile(join(dir, 'default.html'), 'DEFAULT');
    assert.equal((await resolveCoverTemplate(dir, undefined, 'carol@other.org')).template, 'DEFAULT');
    const missing = await resolveCoverTemplate(dir, 'gone', 'carol@other.org');
    assert.equal(missing.template, 'DEFAULT');
    assert.match(missing.notice!, /"gone" you asked for does not exist/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
