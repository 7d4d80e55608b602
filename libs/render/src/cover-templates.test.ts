import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_COVER_TEMPLATE } from './cover-page.ts';
import { resolveCoverTemplate } from './cover-select.ts';
import { COVER_TEMPLATE_MAX_BYTES, coverTemplateProblem, coverTemplatesField } from './cover-templates.ts';

test('a stored template is checked: name, size, HTML, no external references, closed sections, known fields', () => {
  assert.equal(coverTemplateProblem('default', DEFAULT_COVER_TEMPLATE), undefined, 'the built-in cover is a valid template');
  assert.equal(coverTemplateProblem('senders/alice@example.com', '<p>{{#to_name}}To {{to_name}}{{/to_name}}<img src="data:image/png;base64,AAAA"></p>'), undefined);
  assert.equal(coverTemplateProblem('domains/example.com', '<p style="background: url(data:image/png;base64,AA)">x</p>'), undefined);
  const refused: Array<[string, string, RegExp]> = [
    ['../etc', '<p>x</p>', /not a template name/],
    ['big', `<p>${'x'.repeat(COVER_TEMPLATE_MAX_BYTES)}</p>`, /bytes; at most 65536/],
    ['plain', 'just text', /not HTML/],
    ['remote', '<p><img src="https://tracker.example/p.gif"></p>', /src="https:\/\/tracker.example\/p.gif"; only data: URIs/],
    ['remote2', "<p><img src=//cdn.example/logo.png></p>", /only data: URIs/],
    ['css', '<p style="background:url(\'http://x.example/a.png\')">x</p>', /CSS url\(http:\/\/x.example\/a.png\)/],
    ['imp', '<style>@import "http://x.example/a.css";</style><p>x</p>', /@import/],
    ['script', '<p>x</p><script>alert(1)</script>', /<script> element/],
    ['link', '<link rel=stylesheet href="http://x.example/a.css"><p>x</p>', /<link> element/],
    ['refresh', '<meta http-equiv="refresh" content="0;url=http://x"><p>x</p>', /<meta> element/],
    ['open', '<p>{{#subject}}Re: {{subject}}</p>', /never closes \{\{#subject\}\}/],
    ['cross', '<p>{{#subject}}{{#to_name}}{{/subject}}{{/to_name}}</p>', /closes \{\{\/subject\}\} where \{\{\/to_name\}\} is due/],
    ['typo', '<p>{{to_nmae}}</p>', /\{\{to_nmae\}\}, which is not a cover field/],
  ];
  for (const [name, html, why] of refused) assert.match(coverTemplateProblem(name, html) ?? 'accepted', why, name);
});

test('the setting: JSON of name → HTML, every problem named, the whole size bounded', () => {
  const field = coverTemplatesField();
  assert.deepEqual(field.parse(undefined), {});
  assert.deepEqual(field.parse('{"urgent":"<h1>URGENT</h1>"}'), { urgent: '<h1>URGENT</h1>' });
  const bad = field.safeParse('{"urgent":"<script></script><p>x</p>","x":3}');
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => i.message.slice(0, 20)), ['template "urgent" ha', 'template "x" must be']);
  assert.match(field.safeParse('[1]').error!.issues[0].message, /JSON object of template name/);
  assert.match(field.safeParse('{nope').error!.issues[0].message, /not JSON/);
  const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, `<p>${'x'.repeat(60_000)}</p>`]));
  assert.match(field.safeParse(JSON.stringify(many)).error!.issues.at(-1)!.message, /together; at most 524288/);
});

test('stored templates win over the directory\'s file of the same name; the directory still gives the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-covers-'));
  try {
    await writeFile(join(dir, 'urgent.html'), 'URGENT FILE');
    await writeFile(join(dir, 'default.html'), 'DEFAULT FILE');
    const stored = { urgent: 'URGENT STORED', 'domains/example.com': 'EXAMPLE STORED' };
    assert.equal((await resolveCoverTemplate(dir, 'urgent', 'carol@other.org', stored)).template, 'URGENT STORED');
    assert.equal((await resolveCoverTemplate(dir, undefined, 'bob@example.com', stored)).template, 'EXAMPLE STORED');
    assert.equal((await resolveCoverTemplate(dir, undefined, 'carol@other.org', stored)).template, 'DEFAULT FILE');
    // Without a directory (FAXGATE_COVER_TEMPLATE_DIR unset) the stored ones alone.
    assert.equal((await resolveCoverTemplate(undefined, 'urgent', 'carol@other.org', stored)).template, 'URGENT STORED');
    const missing = await resolveCoverTemplate(undefined, 'gone', 'carol@other.org', stored);
    assert.equal(missing.template, DEFAULT_COVER_TEMPLATE);
    assert.match(missing.notice!, /"gone" you asked for does not exist; the default/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
