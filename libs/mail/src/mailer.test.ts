import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { tempDir, startSmtpSink } from '@faxgate/testkit';
import { createMailer, MailRefusedError } from './index.ts';

test('without a smarthost, mails land in the outbox as .eml files', async () => {
  const dir = await tempDir();
  try {
    const mailer = createMailer({ outboxDir: dir.path });
    const sent = await mailer.send({ from: 'fax@fax.localhost', to: 'a@example.com', subject: 'Fax sent', text: 'ok', attachments: [{ filename: 'x.pdf', content: Buffer.from('%PDF-1.4') }] });
    assert.equal(sent.via, 'outbox');
    const files = await readdir(dir.path);
    assert.equal(files.length, 1);
    const parsed = await simpleParser(await readFile(join(dir.path, files[0])));
    assert.equal(parsed.subject, 'Fax sent');
    assert.equal(parsed.attachments[0].filename, 'x.pdf');
  } finally {
    await dir.remove();
  }
});

test('with a smarthost, mails reach a real SMTP server with authentication', async () => {
  const sink = await startSmtpSink({ user: 'relay', password: 'p@ss word' });
  try {
    const mailer = createMailer({ smarthost: sink.url, outboxDir: '/nonexistent' });
    const sent = await mailer.send({ from: 'fax@fax.localhost', to: 'b@example.com', subject: 'Hello', text: 'body' });
    assert.equal(sent.via, 'smarthost');
    const m = await sink.waitFor((x) => x.parsed.subject === 'Hello', 5000);
    assert.deepEqual(m.to, ['b@example.com']);
    mailer.close();
  } finally {
    await sink.close();
  }
});

test('a smarthost that refuses makes send throw (so the job retries)', async () => {
  const sink = await startSmtpSink();
  sink.failWith = { code: 451, message: 'try later' };
  try {
    const mailer = createMailer({ smarthost: sink.url, outboxDir: '/nonexistent' });
    await assert.rejects(mailer.send({ from: 'f@x.y', to: 'b@example.com', subject: 'x', text: 'y' }), /451|try later/);
    mailer.close();
  } finally {
    await sink.close();
  }
});

test('a 5xx refusal of the mail is a MailRefusedError; a 4xx and a refused login are not', async () => {
  const sink = await startSmtpSink({ user: 'relay', password: 'pw' });
  try {
    const mailer = createMailer({ smarthost: sink.url, outboxDir: '/nonexistent' });
    const mail = { from: 'f@x.y', to: 'b@example.com', subject: 'x', text: 'y' };
    sink.failWith = { code: 550, message: '5.1.1 mailbox unavailable' };
    const refused = await mailer.send(mail).catch((e: unknown) => e);
    assert.ok(refused instanceof MailRefusedError, String(refused));
    assert.equal(refused.responseCode, 550);
    assert.match(refused.message, /mailbox unavailable/);
    sink.failWith = { code: 452, message: '4.3.1 out of storage' };
    const later = await mailer.send(mail).catch((e: unknown) => e);
    assert.ok(later instanceof Error && !(later instanceof MailRefusedError), String(later));
    mailer.close();
    const wrongLogin = createMailer({ smarthost: sink.url.replace('relay:pw', 'relay:nope'), outboxDir: '/nonexistent' });
    const login = await wrongLogin.send(mail).catch((e: unknown) => e);
    assert.ok(login instanceof Error && !(login instanceof MailRefusedError), `a refused login stays retryable: ${String(login)}`);
    wrongLogin.close();
  } finally {
    await sink.close();
  }
});
