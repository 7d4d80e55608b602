import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integerArg, lastTimeArg, quoteString, retryTimeArg, tokenOrQuoted } from './command-args.ts';

test('strings are quoted, and values hfaxd could not carry are refused', () => {
  assert.equal(quoteString('Dr. Who', 'TOUSER'), '"Dr. Who"');
  assert.throws(() => quoteString('a"b', 'TOUSER'), /double quote/);
  assert.throws(() => quoteString('a\r\nJSUBM', 'TOUSER'), /CR, LF/);
});

test('a token stays bare unless it has blanks', () => {
  assert.equal(tokenOrQuoted('s3cret', 'password'), 's3cret');
  assert.equal(tokenOrQuoted('two words', 'password'), '"two words"');
  assert.equal(tokenOrQuoted('', 'password'), '""');
});

test('LASTTIME is days, hours and minutes', () => {
  assert.equal(lastTimeArg(3 * 3600), '000300');
  assert.equal(lastTimeArg(26 * 3600 + 5 * 60 + 59), '010205');
  assert.throws(() => lastTimeArg(10), RangeError);
  assert.throws(() => integerArg(-1, 'MAXDIALS'), RangeError);
  assert.equal(integerArg(12, 'MAXDIALS'), '12');
});

test('RETRYTIME is minutes and seconds', () => {
  assert.equal(retryTimeArg(30), '0030');
  assert.equal(retryTimeArg(150), '0230');
  assert.throws(() => retryTimeArg(6000), RangeError);
});
