import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, smtpError, FaxgateError } from './index.ts';

test('SMTP errors carry a reply code, an enhanced code and the sentence', () => {
  const e = smtpError('RCPT_FOREIGN_DOMAIN', 'example.org');
  assert.equal(e.responseCode, 550);
  assert.match(e.message, /^5\.7\.1 this gateway only accepts mail for its fax domains.*\(example\.org\)$/);
});

test('every SMTP-facing code has a 4xx or 5xx reply matching its enhanced class', () => {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    if (!entry.smtp) continue;
    const [reply, enhanced] = entry.smtp;
    assert.equal(String(reply)[0], enhanced[0], code);
  }
});

test('FaxgateError message joins sentence and detail', () => {
  assert.equal(new FaxgateError('LINE_BUSY', 'after 3 rings').message, 'the line was busy: after 3 rings');
});
