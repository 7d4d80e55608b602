import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyParser } from './reply-parser.ts';

test('single-line replies arrive whole even when split across chunks', () => {
  const p = new ReplyParser();
  p.push('220 vm server (HylaFAX (tm) Version 6.0.7) re');
  assert.equal(p.shift(), undefined);
  p.push('ady.\r\n331 Password required for faxgate.\r\n');
  assert.deepEqual(p.shift(), { code: 220, lines: ['vm server (HylaFAX (tm) Version 6.0.7) ready.'], text: 'vm server (HylaFAX (tm) Version 6.0.7) ready.' });
  assert.equal(p.shift()?.code, 331);
});

test('a multi-line reply runs to the line with the same code and a space', () => {
  const p = new ReplyParser();
  p.push('217-Job state: jobid 1 groupid 1\r\n    STATE: DONE\r\n200-not the end\r\n217 End of job 1 state.\r\n');
  const r = p.shift();
  assert.equal(r?.code, 217);
  assert.deepEqual(r?.lines, ['Job state: jobid 1 groupid 1', '    STATE: DONE', '200-not the end', 'End of job 1 state.']);
  assert.equal(r?.text, 'End of job 1 state.');
});

test('a line that is no reply is refused', () => {
  assert.throws(() => new ReplyParser().push('hello\r\n'), SyntaxError);
});
