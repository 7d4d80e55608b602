import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandTabs, looksPreformatted, textToHtml } from './text-document.ts';

test('tabs expand to the next multiple of 8 columns', () => {
  assert.equal(expandTabs('a\tb'), 'a       b');
  assert.equal(expandTabs('abcdefgh\tx'), 'abcdefgh        x');
  assert.equal(expandTabs('\t\tx'), ' '.repeat(16) + 'x');
  assert.equal(expandTabs('no tabs'), 'no tabs');
});

test('tables, aligned columns and box drawing are set in monospace; prose is not', () => {
  const table = ['Name      Qty   Price', 'Apples      3    1.20', 'Pears      12    0.80', 'Total           4.20'].join('\n');
  assert.equal(looksPreformatted(table), true);
  assert.equal(looksPreformatted('┌──┐\n│ok│\n└──┘'), true);
  const prose = 'Dear Bob,\nthank you for the call today.\nI will send the contract tomorrow.\nBest, Alice';
  assert.equal(looksPreformatted(prose), false);
  assert.match(textToHtml(table), /font-family: monospace/);
  assert.match(textToHtml(prose), /font-family: sans-serif/);
});

test('the text is escaped and CRLF line ends kept as lines', () => {
  const html = textToHtml('a <b> & "c"\r\nsecond');
  assert.match(html, /<pre>a &lt;b&gt; &amp; &quot;c&quot;\nsecond<\/pre>/);
});
