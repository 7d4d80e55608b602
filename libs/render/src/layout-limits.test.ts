import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipFileName, clipText } from './layout-limits.ts';

test('texts are cut to their limit with an ellipsis; file names keep their extension', () => {
  assert.equal(clipText('short', 10), 'short');
  assert.equal(clipText(undefined, 10), undefined);
  assert.equal(clipText('x'.repeat(800_000), 200).length, 200);
  assert.match(clipText('x'.repeat(300), 200), /^x{199}…$/);
  // Code points, not UTF-16 halves: an emoji is not split.
  assert.equal(clipText('😀'.repeat(10), 5), '😀😀😀😀…');
  const name = clipFileName(`${'n'.repeat(800_000)}.pdf`);
  assert.equal(Array.from(name).length, 100);
  assert.match(name, /^n+…n+\.pdf$/);
  assert.equal(clipFileName('report.pdf'), 'report.pdf');
});
