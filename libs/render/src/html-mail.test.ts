import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareMailHtml } from './html-mail.ts';

test('cid images become data URIs, remote images placeholders, active content goes', () => {
  const png = new Uint8Array([137, 80, 78, 71]);
  const { html, usedCids } = prepareMailHtml(
    `<html><head><meta charset="windows-1252"><link rel="stylesheet" href="https://x.example/s.css"><script>alert(1)</script></head>
<body style="background:url(https://t.example/bg.png)"><img src="cid:Logo@Host" alt="logo"><img src='https://t.example/p.gif?u=1' alt="pixel"><img src="//cdn.example/a.png"><img src="cid:missing"></body></html>`,
    [{ cid: '<logo@host>', contentType: 'image/png', content: png }],
  );
  assert.match(html, /<img src="data:image\/png;base64,iVBORw==" alt="logo">/);
  assert.deepEqual([...usedCids], ['logo@host']);
  assert.match(html, /\[pixel: image from t\.example not loaded\]/);
  assert.match(html, /\[image from cdn\.example not loaded\]/);
  assert.match(html, /\[inline image missing\]/);
  assert.doesNotMatch(html, /https?:|<script|<link|windows-1252/);
  assert.match(html, /<meta charset="utf-8">/);
});

test('an HTML fragment without head or body is wrapped into a document', () => {
  const { html } = prepareMailHtml('<div dir="ltr">Hi</div>', []);
  assert.match(html, /^<!DOCTYPE html><html><head><meta charset="utf-8"><style>.*<\/style><\/head><body><div dir="ltr">Hi<\/div><\/body><\/html>$/s);
});
