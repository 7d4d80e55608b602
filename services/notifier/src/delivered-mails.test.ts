import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createMailer, type Mailer } from '@faxgate/mail';
import { createRedis } from '@faxgate/queue';
import { startRedis, tempDir, waitUntil } from '@faxgate/testkit';
import { DeliveredMails, retentionMs } from './delivered-mails.ts';

const log = pino({ level: 'silent' });
const mail = (id: string) => ({ messageId: `<${id}@fax.test>`, from: 'faxgate@fax.test', to: 'alice@example.com', subject: 'Fax sent', text: 'sent\n' });

test('a mail is handed over once: a second send of its Message-ID is answered from the record, by any process, for the retention', async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('delivered-mails');
  const conn = createRedis(redis.url, 'background');
  const outbox = createMailer({ outboxDir: join(dir.path, 'outbox') });
  t.after(async () => {
    conn.disconnect();
    await redis.dispose();
    await dir.remove();
  });
  const prefix = `test-${randomUUID()}`;
  const first = new DeliveredMails(conn, prefix, 60_000).guard(outbox, log);
  const sent = await first.send(mail('a'));
  assert.equal(sent.deliveredBefore, undefined);
  // Another process (a new instance: nothing in its memory) finds it in Redis.
  const again = await new DeliveredMails(conn, prefix, 60_000).guard(outbox, log).send(mail('a'));
  assert.ok(again.deliveredBefore, 'answered from the record');
  assert.equal(again.location, sent.location);
  assert.equal((await readdir(join(dir.path, 'outbox'))).length, 1, 'one .eml in the outbox');
  const ttl = await conn.pttl(`${prefix}:mail-delivered:<a@fax.test>`);
  assert.ok(ttl > 50_000 && ttl <= 60_000, `TTL ${ttl} ms`);
  await assert.rejects(first.send({ ...mail('b'), messageId: undefined }), /without a Message-ID/);
});

test('Redis gone at the moment of the record: the same process still does not send it again; another process would (the documented window)', async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('delivered-mails-down');
  const conn = createRedis(redis.url, 'background', { maxRetriesPerRequest: 0 });
  const outbox = createMailer({ outboxDir: join(dir.path, 'outbox') });
  t.after(async () => {
    conn.disconnect();
    await redis.dispose();
    await dir.remove();
  });
  const prefix = `test-${randomUUID()}`;
  // Redis dies while the smarthost (here the outbox) takes the mail.
  const dying: Mailer = {
    async send(m) {
      const s = await outbox.send(m);
      await redis.kill9();
      return s;
    },
    close: () => outbox.close(),
  };
  const guard = new DeliveredMails(conn, prefix, 60_000);
  const sent = await guard.guard(dying, log).send(mail('c'));
  assert.equal(sent.deliveredBefore, undefined);
  const again = await guard.guard(outbox, log).send(mail('c'));
  assert.ok(again.deliveredBefore, 'the same process remembers it');
  assert.equal((await readdir(join(dir.path, 'outbox'))).length, 1);
  await redis.start();
  await waitUntil('the connection back', () => conn.status === 'ready', 10_000);
  assert.equal(await new DeliveredMails(conn, prefix, 60_000).find('<c@fax.test>'), undefined, 'not in Redis: a retry elsewhere would send it again');
});

test('deliveries are kept past the last retry of a mail job, and at least a week', () => {
  // 12 tries, 11 backoffs doubling from 5 s: 10,235 s; with 30 % jitter 13,305 s.
  assert.equal(retentionMs(5_000), 7 * 86_400_000);
  // A 10 min backoff: the last retry comes 14.2 days after the first try (18.5 with jitter).
  assert.ok(retentionMs(600_000) >= 600_000 * 2047 * 1.3, 'kept past the last retry');
});
