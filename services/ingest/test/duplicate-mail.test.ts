import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { freePort, roleProcessEnv, startRedis, startRoleProcess, tempDir, testGatewayEnv, waitUntil, type TestRedis } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { createRedis, JOBS, jobId, QueueSet } from '@faxgate/queue';
import { ingestRole } from '../src/index.ts';

// Issue 17: a client that did not read the 250 to its DATA (ingest killed after queueing, the
// connection broken) sends the same mail again (RFC 1047); that must not become a second fax.

/** The fax ids a prefix holds (every record created and not withdrawn). */
async function faxIds(redis: TestRedis, prefix: string): Promise<string[]> {
  const c = createRedis(redis.url, 'background');
  try {
    return await c.zrange(`${prefix}:rec:faxes`, 0, -1);
  } finally {
    c.disconnect();
  }
}

test('the same mail sent twice (same Message-ID, sender and recipients) is one fax; the second 250 says it is a duplicate; another envelope is another fax', async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('faxgate-duplicate-mail');
  t.after(async () => {
    await redis.dispose();
    await dir.remove();
  });
  const gw = await runRoles([ingestRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path }, { FAXGATE_FAX_DOMAINS: 'fax.test' }) });
  t.after(() => gw.stop());
  const prefix = gw.ctx.base.FAXGATE_QUEUE_PREFIX;
  const port = gw.instanceOf(ingestRole).smtpPort();
  const send = async (mail: { from: string; to: string[]; messageId?: string }) => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
    try {
      const info = await transport.sendMail({ ...mail, subject: 'contract', text: 'Please sign.' });
      return info.response;
    } finally {
      transport.close();
    }
  };
  const queuedAs = (reply: string) => /queued as (fx[0-9a-z]+)/.exec(reply)?.[1];
  const mail = { from: 'alice@example.com', to: ['12125550100@fax.test', '12125550101@fax.test'], messageId: `<${randomUUID()}@example.com>` };

  const first = await send(mail);
  const faxId = queuedAs(first);
  assert.ok(faxId, `first reply: ${first}`);
  assert.doesNotMatch(first, /duplicate/);
  // The client sends it again, recipients in the other order (an MTA's retry need not keep it).
  const again = await send({ ...mail, to: [...mail.to].reverse() });
  assert.match(again, /^250 2\.0\.0 Ok: duplicate of a mail already queued as fx/, again);
  assert.equal(queuedAs(again), faxId, `the duplicate reply names the first fax: ${again}`);
  assert.deepEqual(await faxIds(redis, prefix), [faxId], 'one fax record');
  const render = gw.ctx.queues.queue(JOBS['render-fax'].queue);
  assert.deepEqual((await render.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).map((j) => j.data.faxId), [faxId], 'one render job');

  // Same Message-ID, another envelope: a resend to one more number, another sender.
  const moreRecipients = queuedAs(await send({ ...mail, to: [...mail.to, '12125550102@fax.test'] }));
  const fewerRecipients = queuedAs(await send({ ...mail, to: [mail.to[0]] }));
  const otherSender = queuedAs(await send({ ...mail, from: 'bob@example.com' }));
  // No Message-ID: nothing to recognise it by; nodemailer always makes one, so remove it.
  const noId = async () => queuedAs(await sendRaw(port, 'carol@example.com', ['12125550100@fax.test'], 'Subject: no id\r\n\r\nbody\r\n'));
  const noId1 = await noId();
  const noId2 = await noId();
  const others = [moreRecipients, fewerRecipients, otherSender, noId1, noId2];
  assert.ok(others.every((x) => x && x !== faxId), `each is a new fax: ${others.join(', ')}`);
  assert.equal(new Set(others).size, others.length, `each is its own fax: ${others.join(', ')}`);
  assert.equal((await faxIds(redis, prefix)).length, 6);

  // Two copies at the same moment (a client that timed out and sent again while ingest still
  // worked on the first): one fax, the other copy is the duplicate.
  const twin = { ...mail, messageId: `<${randomUUID()}@example.com>` };
  const [x, y] = await Promise.all([send(twin), send(twin)]);
  assert.equal(queuedAs(x), queuedAs(y), `both name one fax: ${x} / ${y}`);
  assert.equal([x, y].filter((r) => /duplicate/.test(r)).length, 1, `one of them is the duplicate: ${x} / ${y}`);
  assert.equal((await faxIds(redis, prefix)).length, 7);
  // The window is the key's TTL: FAXGATE_SMTP_DUPLICATE_WINDOW, 7 days by default.
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const keys = await c.keys(`${prefix}:intake:once:*`);
  assert.equal(keys.length, 5, `one key per mail with a Message-ID: ${keys.join(', ')}`);
  for (const k of keys) {
    const ttl = await c.pttl(k);
    assert.ok(ttl > 7 * 86_400_000 - 60_000 && ttl <= 7 * 86_400_000, `TTL of ${k}: ${ttl} ms`);
  }
});

/** One mail by hand, with the header section given (no Message-ID unless it has one). */
async function sendRaw(port: number, from: string, to: string[], message: string): Promise<string> {
  const replies = await rawSession(port, [`EHLO client.test`, `MAIL FROM:<${from}>`, ...to.map((r) => `RCPT TO:<${r}>`), 'DATA', `${message}.`]);
  return replies.at(-1)!;
}

/** An SMTP client session by hand: a command is sent when the caller says, each reply read when asked. */
function openSession(port: number) {
  const sock = createConnection({ port, host: '127.0.0.1' });
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  let buffer = '';
  sock.on('data', (d: string) => (buffer += d));
  return {
    send: (c: string) => sock.write(`${c}\r\n`),
    reply: () => waitUntil('an SMTP reply', () => {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3} [^\n]*)\n/.exec(buffer);
      if (!m) return undefined;
      buffer = buffer.slice(m[0].length);
      return m[1].trim();
    }, 20_000, 10),
    destroy: () => sock.destroy(),
  };
}

/** Sends commands one at a time, each after the previous reply; returns the replies. */
async function rawSession(port: number, commands: string[]): Promise<string[]> {
  const session = openSession(port);
  const replies: string[] = [];
  try {
    replies.push(await session.reply());
    for (const c of commands) {
      session.send(c);
      replies.push(await session.reply());
    }
  } finally {
    session.destroy();
  }
  return replies;
}

// The real case: two ingest processes on one Redis (two replicas, or one restarted); the one
// that took the mail is killed (-9) once the fax is queued, before the client read its reply,
// and the client sends the same mail to the other.
test('ingest killed after queueing, before the client read the 250: the mail sent again is answered as a duplicate and queued once', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis();
  const dir = await tempDir('faxgate-duplicate-kill');
  t.after(async () => {
    await redis.dispose();
    await dir.remove();
  });
  const prefix = `test-${randomUUID()}`;
  const ports = [await freePort(), await freePort()];
  const [a, b] = await Promise.all(ports.map((smtpPort, i) => startRoleProcess(['ingest'], roleProcessEnv({ redisUrl: redis.url, dataDir: join(dir.path, `data-${i}`), smarthost: 'smtp://127.0.0.1:9', smtpPort, prefix }))));
  t.after(async () => {
    await a.kill9();
    await b.stop();
  });
  // At load ~20 a role process took 30-50 s to answer /readyz (testkit's role-process note).
  await Promise.all([a.ready(90_000), b.ready(90_000)]);
  const message = `Message-ID: <${randomUUID()}@example.com>\r\nFrom: alice@example.com\r\nTo: 12125550100@fax.test\r\nSubject: killed\r\n\r\nPlease sign.\r\n.`;
  const envelope = ['EHLO client.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'DATA'];

  // The client's first try: everything up to the message's end, then no reply is read.
  const first = openSession(ports[0]);
  const conn = createRedis(redis.url, 'background');
  t.after(() => conn.disconnect());
  const queues = new QueueSet({ connection: conn, prefix, backoffMs: 100 });
  try {
    await first.reply();
    for (const c of envelope) {
      first.send(c);
      await first.reply();
    }
    first.send(message);
    // Durably queued: the record and its render job are in Redis. Then ingest A dies.
    const queued = await waitUntil('the fax of the first try to be queued', async () => {
      const [id] = await faxIds(redis, prefix);
      return id && (await queues.queue(JOBS['render-fax'].queue).getJob(jobId('render-fax', { faxId: id }))) ? id : undefined;
    }, 20_000, 5);
    await a.kill9();
    // Whatever ingest A had answered is never read.
    first.destroy();
    const replies = await rawSession(ports[1], [...envelope, message]);
    const last = replies.at(-1)!;
    assert.match(last, /^250 2\.0\.0 Ok: duplicate of a mail already queued as fx/, `ingest B's reply to the same mail: ${last}`);
    assert.ok(last.includes(queued), `names ${queued}: ${last}`);
    assert.deepEqual(await faxIds(redis, prefix), [queued], 'one fax record');
    const jobs = await queues.queue(JOBS['render-fax'].queue).getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    assert.deepEqual(jobs.map((j) => j.data.faxId), [queued], 'one render job');
  } finally {
    first.destroy();
  }
});
